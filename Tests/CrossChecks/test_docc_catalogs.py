"""Every library product has a DocC catalog whose symbol links name real public declarations — a cheap
guard for `make docs` (DocC itself takes a minute and is not part of `make test`)."""
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def library_products():
    with open(os.path.join(ROOT, "Package.swift"), encoding="utf-8") as f:
        return re.findall(r'\.library\(name: "(\w+)"', f.read())


def public_names(module):
    names = set()
    for directory, _, files in os.walk(os.path.join(ROOT, "Sources", module)):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    names.update(re.findall(
                        r"\bpublic\s+(?:final\s+|static\s+|indirect\s+)*(?:struct|enum|class|protocol|actor|typealias|"
                        r"func|var|let)\s+(\w+)", f.read()))
    return names


def test_every_library_has_a_catalog_with_valid_links():
    products = library_products()
    assert "Unargmaxable" in products and "RegionCounting" in products
    problems = []
    for module in products:
        catalog = os.path.join(ROOT, "Sources", module, f"{module}.docc")
        page = os.path.join(catalog, f"{module}.md")
        if not os.path.exists(page):
            problems.append(f"{module}: no DocC catalog page Sources/{module}/{module}.docc/{module}.md")
            continue
        known = public_names(module)
        articles = {name[:-3] for name in os.listdir(catalog) if name.endswith(".md")}
        for name in sorted(os.listdir(catalog)):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(catalog, name), encoding="utf-8") as f:
                text = re.sub(r"```.*?```", "", f.read(), flags=re.S)  # code blocks hold no links
            if name == f"{module}.md" and not text.startswith(f"# ``{module}``"):
                problems.append(f"{module}.md must start with the title # ``{module}``")
            for link in re.findall(r"(?<!`)``([^`\n]+)``(?!`)", text):
                head = link.split("/")[0]
                if head != module and head not in known:
                    problems.append(f"{module}.docc/{name}: ``{link}`` names no public declaration of {module}")
            for doc in re.findall(r"<doc:([^>]+)>", text):
                if doc not in articles:
                    problems.append(f"{module}.docc/{name}: <doc:{doc}> names no article of the catalog")
    assert not problems, "\n".join(problems)
