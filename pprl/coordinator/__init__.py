"""What runs at the coordinator, with encoded files only: no secret, no raw value, no export reader.

Per-field similarity of filters (``similarity``), candidate generation (``blocking``), the
Fellegi-Sunter model (``scoring``), one-to-one matching and clusters (``solving``), where pairs are
scored (``engine``), the linkage pipeline (``link``) and what is written back (``reports``). This
package imports nothing of :mod:`pprl.agency`.
"""
