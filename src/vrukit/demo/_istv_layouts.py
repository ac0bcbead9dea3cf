"""The four demo EDs' extract layouts: Kingsmere's coded CSV, Redwater's titled workbook,
Northbrook's ISTV XML and Eastford's semicolon CSV with optional fields; each site's own codes
for methods, places and the rest."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.demo._stable import stamp_workbook

SUBMISSION_NS = "urn:vrukit:demo:istv"

KM_METHOD = {"bodily_force": "1", "blunt_object": "2", "knife": "3", "other_sharp": "4",
             "firearm": "5", "other": "8", "unknown": "9"}  # fmt: skip


KM_PLACE = {"home": "H", "street": "S", "licensed_premises": "P", "public_transport": "T",
            "shop_commercial": "C", "education": "E", "workplace": "W", "other": "O",
            "unknown": "U"}  # fmt: skip


RW_METHOD = {"bodily_force": "Punch/Kick", "blunt_object": "Blunt Instrument",
             "knife": "Knife/Blade", "other_sharp": "Glass/Bottle", "firearm": "Gun",
             "other": "Other", "unknown": "Not Known"}  # fmt: skip


RW_PLACE = {"home": "Home", "street": "Street/Road", "licensed_premises": "Pub/Bar/Club",
            "public_transport": "Bus/Train", "shop_commercial": "Shop",
            "education": "School/College", "workplace": "Workplace", "other": "Other",
            "unknown": "Not Known"}  # fmt: skip


NB_METHOD = {"bodily_force": "01", "blunt_object": "02", "knife": "03", "other_sharp": "04",
             "firearm": "05", "other": "98", "unknown": "99"}  # fmt: skip


NB_PLACE = {"home": "01", "street": "02", "licensed_premises": "03", "public_transport": "04",
            "shop_commercial": "05", "education": "06", "workplace": "07", "other": "98",
            "unknown": "99"}  # fmt: skip


EH_METHOD = {"bodily_force": "fist/feet", "blunt_object": "blunt object", "knife": "knife",
             "other_sharp": "glass", "firearm": "firearm", "other": "other",
             "unknown": "unknown"}  # fmt: skip


EH_PLACE = {"home": "home", "street": "street", "licensed_premises": "pub/club",
            "public_transport": "transport", "shop_commercial": "shop", "education": "school",
            "workplace": "work", "other": "other", "unknown": "unknown"}  # fmt: skip


EH_SEX = {"female": "f", "male": "m", "other": "x", "unknown": "u"}


EH_MODE = {"ambulance": "ambulance", "police": "police", "own_transport": "self",
           "other": "other", "unknown": "unknown"}  # fmt: skip


EH_DISPOSAL = {"discharged": "discharged", "admitted": "admitted", "transferred": "transfer",
               "left_before_treatment": "left", "other": "other", "unknown": "unknown"}  # fmt: skip


def _fmt(ts: pd.Series, fmt: str) -> pd.Series:
    return ts.dt.strftime(fmt).where(ts.notna(), "")


def _code(s: pd.Series, table: dict[str, str]) -> pd.Series:
    return s.map(table).fillna("")


def _kingsmere(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Attendance Date": _fmt(m.arrival_at, "%d/%m/%Y"),
            "Attendance Time": _fmt(m.arrival_at, "%H:%M"),
            "Incident Date": _fmt(m.assault_at, "%d/%m/%Y"),
            "Incident Time": _fmt(m.assault_at, "%H:%M"),
            "Weapon Code": _code(m.method, KM_METHOD),
            "Weapon Other": m.method_other.fillna(""),
            "Location Code": _code(m.location_type, KM_PLACE),
            "Where Did It Happen": m.location_description.fillna(""),
            "Age Group": m.age_band.fillna(""),
            "Gender": m.sex.fillna("").str[:1].str.upper(),
        }
    )


def _redwater(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Arrival DateTime": m.arrival_at.dt.to_pydatetime(),
            "Assault DateTime": m.assault_at.dt.to_pydatetime(),
            "Mechanism": _code(m.method, RW_METHOD),
            "Mechanism Detail": m.method_other.fillna(""),
            "Place Type": _code(m.location_type, RW_PLACE),
            "Place": m.location_description.fillna(""),
            "Age": m.age_band.fillna(""),
            "Sex": m.sex.fillna("").str.capitalize(),
        }
    )


def _eastford(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arrival_datetime": _fmt(m.arrival_at, "%Y-%m-%d %H:%M"),
            "incident_datetime": _fmt(m.assault_at, "%Y-%m-%d %H:%M"),
            "method": _code(m.method, EH_METHOD),
            "method_other": m.method_other.fillna(""),
            "location_type": _code(m.location_type, EH_PLACE),
            "location": m.location_description.fillna(""),
            "age_band": m.age_band.fillna(""),
            "sex": _code(m.sex, EH_SEX),
            "home_lsoa": m.residence_lsoa.fillna(""),
            "arrived_by": _code(m.arrival_mode, EH_MODE),
            "outcome": _code(m.disposal, EH_DISPOSAL),
        }
    )


def _write_xlsx(frame: pd.DataFrame, path: Path, title: str, period: str, when: date) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Assaults")
    ws.append([title])
    ws.append([f"ISTV extract, period {period}"])
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if v == "" else v for v in row])
    wb.save(path)
    stamp_workbook(path, when)


def _write_xml(m: pd.DataFrame, path: Path, start: date, end: date) -> None:
    ns = SUBMISSION_NS
    root = ET.Element(f"{{{ns}}}ISTVSubmission")
    head = ET.SubElement(root, f"{{{ns}}}SubmissionHeader")
    for tag, value in (
        ("ReportingPeriodStartDate", start.isoformat()),
        ("ReportingPeriodEndDate", end.isoformat()),
        ("SiteCodeOfTreatment", "RNB01"),
    ):
        ET.SubElement(head, f"{{{ns}}}{tag}").text = value
    fields = {
        "ArrivalDateTime": _fmt(m.arrival_at, "%Y-%m-%dT%H:%M:%S"),
        "AssaultDateTime": _fmt(m.assault_at, "%Y-%m-%dT%H:%M:%S"),
        "AssaultMethod": _code(m.method, NB_METHOD),
        "AssaultMethodOtherDescription": m.method_other.fillna(""),
        "AssaultLocationType": _code(m.location_type, NB_PLACE),
        "AssaultLocationDescription": m.location_description.fillna(""),
    }
    cols = list(fields)
    values = np.column_stack([fields[c].to_numpy(dtype=object) for c in cols])
    for row in values:
        rec = ET.SubElement(root, f"{{{ns}}}Assault")
        for tag, value in zip(cols, row, strict=True):
            ET.SubElement(rec, f"{{{ns}}}{tag}").text = value
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _write_one(
    layout: str, code: str, name: str, m: pd.DataFrame, folder: Path, label: str, suffix: str,
    start: date, end: date,
) -> tuple[Path, int]:  # fmt: skip
    """Write one extract; return its path and the line/row/record number of its first row."""
    if layout == "csv":
        path = folder / f"{code}_ISTV_{label}{suffix}.csv"
        _kingsmere(m).to_csv(path, index=False)
        return path, 2
    if layout == "xlsx":
        path = folder / f"Redwater_ISTV_{label.replace('-', '')}{suffix}.xlsx"
        _write_xlsx(_redwater(m), path, name, label, end)
        return path, 4
    if layout == "xml":
        path = folder / f"{code}_ISTV_{label}{suffix}.xml"
        _write_xml(m, path, start, end)
        return path, 1
    path = folder / f"{code.lower()}-{label}{suffix}.csv"
    _eastford(m).to_csv(path, index=False, sep=";")
    return path, 2
