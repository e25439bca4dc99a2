"""Reads every HXL file named on the command line with libhxl (the HXL standard's own Python
library) and fails unless each is well-formed HXL 1.1 as demine promises it:

- libhxl finds the hashtag row (the second row of a demine export);
- every hashtag is `#tag` with `+attribute`s of the allowed characters, and the tag is one of the
  HXL 1.1 core dictionary's hashtags;
- every value in a column that HXL defines as a number (#affected, #population, #inneed,
  #targeted, #reached, #value, #indicator+num) parses as a number;
- libhxl's own default validation schema reports no error;
- libhxl reads as many data rows as the file has below its hashtag row.

Prints one line per file, and the problems found; exits 1 when there is any.
"""

import csv
import re
import sys

import hxl

# The hashtags of the HXL 1.1 core dictionary (hxlstandard.org/standard/1-1final/dictionary/).
CORE = {
    "access", "activity", "adm1", "adm2", "adm3", "adm4", "adm5", "affected", "beneficiary",
    "capacity", "category", "cause", "channel", "contact", "country", "crisis", "currency", "date",
    "delivery", "description", "event", "frequency", "geo", "group", "impact", "indicator",
    "inneed", "item", "loc", "meta", "modality", "need", "operations", "org", "output",
    "population", "reached", "region", "respondee", "sector", "service", "severity", "status",
    "subsector", "targeted", "value",
}
NUMERIC = {"affected", "population", "inneed", "targeted", "reached", "value"}
SPEC = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*$", re.IGNORECASE)


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in {"nan", "inf", "-inf", "infinity", "-infinity"}


def check(path):
    problems = []
    with open(path, newline="", encoding="utf-8") as f:
        raw = list(csv.reader(f))
    if len(raw) < 2:
        return [f"{path}: fewer than two rows, so no hashtag row"]
    try:
        source = hxl.data(path, hxl.InputOptions(allow_local=True))
        columns = source.columns
        rows = [r.values for r in source]
    except Exception as e:  # libhxl raises its own classes; any of them is a failure here
        return [f"{path}: libhxl cannot read it: {type(e).__name__}: {e}"]
    for i, spec in enumerate(raw[1]):
        if not SPEC.match(spec.strip()):
            problems.append(f"{path}: column {i + 1}: {spec!r} is not a valid hashtag")
    for i, col in enumerate(columns):
        tag = (col.tag or "").lstrip("#").lower()
        if tag not in CORE:
            problems.append(
                f"{path}: column {i + 1}: #{tag} is not a hashtag of the HXL 1.1 dictionary"
            )
        numeric = tag in NUMERIC or (tag == "indicator" and "num" in col.attributes)
        if numeric:
            for n, row in enumerate(rows):
                value = row[i] if i < len(row) else ""
                if value is None or str(value).strip() == "":
                    continue
                if not is_number(str(value)):
                    problems.append(
                        f"{path}: line {n + 3}, column {i + 1} ({col.display_tag}): "
                        f"{value!r} is not a number"
                    )
    if len(rows) != len(raw) - 2:
        problems.append(f"{path}: libhxl read {len(rows)} data rows where the file has {len(raw) - 2}")
    report = hxl.validate(hxl.data(path, hxl.InputOptions(allow_local=True)))
    for issue in report.get("issues", []):
        if issue.get("severity") == "error":
            where = ", ".join(
                f"row {l.get('source_row')} {l.get('hashtag')} {l.get('location_value')!r}"
                for l in issue.get("locations", [])[:3]
            )
            problems.append(f"{path}: libhxl validation: {issue.get('description')} ({where})")
    print(f"{path}: {len(columns)} columns, {len(rows)} rows, {len(problems)} problems")
    return problems


def main():
    problems = []
    for path in sys.argv[1:]:
        problems += check(path)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
