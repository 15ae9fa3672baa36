"""How computed statistics are shown: SVG charts (``charts``), the PDF report (``report``) and
the CSV, XLSX, JSON and DHIS2 writers (``formats``).

Services compute and return plain tables; this package only draws and writes them, so it may
import ``registry.services.stats.model`` but nothing below it imports this package.
"""
