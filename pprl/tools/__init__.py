"""Tools that belong to neither side: synthetic test data (``synth``) and quality measurement against
known true pairs (``evaluation``). They import neither :mod:`pprl.agency` nor :mod:`pprl.coordinator`.
"""
