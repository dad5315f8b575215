"""What runs at an agency, on its own machine, with raw identities and the shared secret.

Reading values (``normalise``, ``translit``, ``names``, ``dates``), turning them into tokens
(``tokens``), keyed hashing into Bloom filters (``keys``, ``bloom``) and the pipeline that writes an
encoded file (``encode``). Nothing under :mod:`pprl.coordinator` imports this package.
"""
