"""What runs at an agency, on its own machine, with raw identities and the shared secret.

Reading values (``normalise``, ``translit``, ``names``, ``dates``), turning them into tokens
(``tokens``), keyed hashing into Bloom filters (``keys``, ``bloom``), the pipeline that writes an
encoded file (``encode``), and the full check of a linkage schema before it is encoded with
(``validate``). Nothing under :mod:`pprl.coordinator` imports this package.
"""
