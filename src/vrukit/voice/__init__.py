"""Young people's voice (issue 33, item 1): anonymous surveys defined as data, their results
through the disclosure layer, the safety measure place evaluation reads, and the youth panel."""
