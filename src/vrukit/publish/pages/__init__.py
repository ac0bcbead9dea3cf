"""What each page of the SNA site says: its figures, tables and sentences, in one language; one
module per page. ``Pages`` gathers them for the site class (``publish.site``)."""

from __future__ import annotations

from vrukit.publish.pages.data import DataPage
from vrukit.publish.pages.hospital import HospitalSection
from vrukit.publish.pages.next import NextPage
from vrukit.publish.pages.overview import OverviewPage
from vrukit.publish.pages.places import PlacePages
from vrukit.publish.pages.when import WhenPage
from vrukit.publish.pages.where import WherePage
from vrukit.publish.pages.why import WhyPage

__all__ = ["Pages"]


class Pages(
    OverviewPage, WherePage, WhenPage, WhyPage, NextPage, DataPage, PlacePages, HospitalSection
):
    """Every page builder; mixed into the site class that holds the shared attributes."""
