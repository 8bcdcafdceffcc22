"""Certificates as printable PDF: A4 landscape HTML (templates/certificates/pdf.html) rendered by WeasyPrint with
the Noto CJK fonts Debian installs (fonts-noto-cjk; nothing is downloaded), a QR code (segno) of the public
verification URL, which is also printed as text."""

from __future__ import annotations

import io
import logging
import multiprocessing
from dataclasses import dataclass

import segno
from flask import current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML

from app.certificates import rules
from app.certificates.models import IssuedCertificate
from app.certificates.services import code_of

# WeasyPrint logs every step of every page at INFO (500 lines for an event's print): not for the app's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@dataclass
class Printed:
    certificate: IssuedCertificate
    code: str
    url: str
    qr: str


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def _printed(certificate: IssuedCertificate, base_url: str) -> Printed:
    code = code_of(certificate)
    url = verify_url(base_url, code)
    # A fixed mask and version range: choosing the best of eight masks per code costs more than the page's layout.
    qr = segno.make_qr(url, error="m", mask=0, boost_error=False).png_data_uri(scale=3, border=2)
    return Printed(certificate, rules.grouped(code), url, qr)


#: below this many pages one process lays the print out: starting others costs more than it saves
PARALLEL_FROM = 40


def _write_pdf(html: str) -> bytes:
    return HTML(string=html).write_pdf()


def render_pdf(certificates: list[IssuedCertificate], base_url: str) -> bytes:
    """One PDF, one page per certificate, always in Chinese (the certificate is an official document).

    A large print is cut into one run of pages per process (CERTIFICATE_PDF_PROCESSES): each process lays out its
    pages from HTML alone (no database, no request), and the parts are joined in order with pypdf."""
    items = [_printed(c, base_url) for c in certificates]
    processes = max(1, min(int(current_app.config.get("CERTIFICATE_PDF_PROCESSES", 1)), len(items) // PARALLEL_FROM))
    size = -(-len(items) // processes) if items else 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        parts = [render_template("certificates/pdf.html", items=items[i:i + size])
                 for i in range(0, len(items), size)] if items else [render_template("certificates/pdf.html",
                                                                                      items=[])]
    if len(parts) == 1:
        return _write_pdf(parts[0])
    # fork: the children inherit the loaded fonts and WeasyPrint, and touch nothing but the HTML they are given
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        pdfs = pool.map(_write_pdf, parts)
    from pypdf import PdfWriter  # lazy: pypdf (~18 MB) only joins a batch's PDFs, after the fork above

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    joined = io.BytesIO()
    writer.write(joined)
    return joined.getvalue()
