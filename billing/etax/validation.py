"""ETDA's XSD and Schematron (v2.1) run on our XML, from ``settings.ETAX_SCHEMA_DIR``.

The schemas are ETDA's release, not part of the project. ETDA declares most Schematron
files as XSLT2 while every rule is XPath 1.0, so they run with lxml's XSLT1 engine (as the
validator beside the release does); a fired ``report`` and a failed ``assert`` are errors.
"""

import functools
from pathlib import Path

from django.conf import settings
from lxml import etree, isoschematron

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_PREFIX = "urn:etda:uncefact:data:standard:"


class SchemasMissing(Exception):
    """ETAX_SCHEMA_DIR does not hold ETDA's schemas."""


def _standard_dir() -> Path:
    return Path(settings.ETAX_SCHEMA_DIR) / "ETDA" / "data" / "standard"


def available() -> bool:
    return (_standard_dir() / "TaxInvoice_CrossIndustryInvoice_2p1.xsd").exists()


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(path, parser))


@functools.cache
def _schematron(path: str) -> isoschematron.Schematron:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    rules = etree.parse(path, parser)
    rules.getroot().attrib.pop("queryBinding", None)
    return isoschematron.Schematron(rules, store_report=True)


def errors(root: etree._Element) -> list[str]:
    """ETDA's XSD errors, then its Schematron's; empty when the XML is valid."""
    if not available():
        raise SchemasMissing(str(settings.ETAX_SCHEMA_DIR))
    namespace = etree.QName(root).namespace or ""
    kind = namespace.removeprefix(_PREFIX).removesuffix("_CrossIndustryInvoice:2")
    xsd = _standard_dir() / f"{kind}_CrossIndustryInvoice_2p1.xsd"
    if not namespace.startswith(_PREFIX) or not xsd.exists():
        return [f"{etree.QName(root).localname} is not an ETDA e-Tax document"]
    # Validate what is written: a fresh parse of the bytes, with line numbers.
    document = etree.fromstring(etree.tostring(root)).getroottree()
    schema = _schema(str(xsd))
    if not schema.validate(document):
        return [f"XSD line {e.line}: {e.message}" for e in schema.error_log]
    schematron = _schematron(str(_standard_dir() / f"{kind}_Schematron_2p1.sch"))
    schematron.validate(document)
    report = schematron.validation_report
    return [
        "Schematron: " + " ".join("".join(element.itertext()).split())
        for element in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report")
    ]
