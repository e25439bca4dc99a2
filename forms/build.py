#!/usr/bin/env python3
"""Builds each XLSForm in forms/ from its source: forms/src/FORM/{survey,choices,settings}.csv
become the sheets of forms/FORM.xlsx, every cell as text, in the CSV's order. Needs openpyxl
(`pip install openpyxl`). Run from anywhere: python3 forms/build.py

The test crates/app/tests/forms.rs reads every .xlsx back and fails when it differs from its
source, so a changed CSV must be followed by a run of this script."""

import csv
import pathlib

import openpyxl

HERE = pathlib.Path(__file__).resolve().parent
SHEETS = ["survey", "choices", "settings"]


def build(form_dir: pathlib.Path) -> pathlib.Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet)
        with open(form_dir / f"{sheet}.csv", newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                ws.append([cell if cell != "" else None for cell in row])
    out = HERE / f"{form_dir.name}.xlsx"
    wb.save(out)
    return out


def main() -> None:
    for form_dir in sorted((HERE / "src").iterdir()):
        if form_dir.is_dir():
            print(build(form_dir).relative_to(HERE.parent))


if __name__ == "__main__":
    main()
