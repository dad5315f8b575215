"""pprl: privacy-preserving record linkage across scripts.

Agencies encode their own exports locally (``pprl.agency.encode``); a coordinator links the encodings
(``pprl.coordinator.link``) without a secret and without raw identities.
"""

__version__ = "0.2.0"
