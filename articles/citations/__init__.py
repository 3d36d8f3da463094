"""Citations: one article as a reference-manager item (item.py) written as RIS, BibLaTeX and CSL-JSON,
formatted references from a CSL processor (processor.py, csl.py), embedded metadata for Zotero
(embedded.py), and the HTTP side (views.py: cite.<ext>, unAPI)."""
