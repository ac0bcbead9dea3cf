"""The Youth Map: a directory of local youth services that speaks Open Referral UK (HSDS 3).

``models`` - the HSDS core tables in the programme store; ``hsds`` - records as HSDS JSON;
``load`` - HSDS JSON and postcode lookups in; ``api`` - the read-only Open Referral UK API.
"""
