"""CITATION.cff and LICENSE agree with the code: the version the tool reports, Apache-2.0, the paper.
(`make citation` validates the file against the CFF 1.2.0 schema with cffconvert; this runs offline.)"""
import os
import re

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def test_citation_matches_the_code():
    cff = yaml.safe_load(read("CITATION.cff"))
    version = re.search(r'static let version = "([^"]+)"', read("Sources", "unargmax", "Unargmax.swift")).group(1)
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert str(cff["version"]) == version
    assert cff["license"] == "Apache-2.0"
    assert cff["title"] and cff["authors"] and cff["message"]
    paper = next(r for r in cff["references"] if r.get("doi") == "10.18653/v1/2022.acl-long.465")
    assert [a["family-names"] for a in paper["authors"]] == ["Grivas", "Bogoychev", "Lopez"]
    assert paper["year"] == 2022 and (paper["start"], paper["end"]) == (6738, 6758)


def test_readme_cites_both_and_license_is_apache():
    readme = read("README.md")
    assert "## How to cite" in readme and "@software{" in readme and "@inproceedings{grivas-etal-2022-low" in readme
    version = yaml.safe_load(read("CITATION.cff"))["version"]
    assert f"version = {{{version}}}" in readme
    license_text = read("LICENSE")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "The Unargmaxable authors" in license_text
