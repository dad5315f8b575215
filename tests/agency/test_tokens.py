"""Field values -> token sets per filter component."""

from pprl.agency import names, validate
from pprl.agency.tokens import FieldTokeniser, Status

MISSING_PERSONS = validate.load("schemas/missing-persons.json")
FIELDS = {f.name: f for f in MISSING_PERSONS.fields}


def _dice(a, b):
    return 2 * len(a & b) / (len(a) + len(b))


def test_person_names_have_a_bag_a_given_name_and_a_family_component():
    status, parts = FieldTokeniser(FIELDS["name"])("Магомедова Амина Магомедовна")
    assert status is Status.PRESENT and set(parts) == {"", "given", "family"}
    assert parts["given"] and parts["given"] < parts[""]
    assert parts["family"] < parts[""] and parts["family"] - parts["given"] and parts["given"] - parts["family"]
    # the parents' fields keep two components: family_filter is off by default
    assert set(FieldTokeniser(FIELDS["mother_name"])("Патимат Алиева")[1]) == {"", "given"}


def test_the_family_component_holds_surname_and_patronymic_and_ancestors():
    options = FIELDS["name"].options
    child = names.name_components("Магомедова Амина Магомедовна", options)
    brother = names.name_components("MAGOMEDOV RASUL", options)
    stranger = names.name_components("Amina Alieva", options)
    assert _dice(child["family"], brother["family"]) > 0.5  # relatives share it
    assert _dice(child["family"], stranger["family"]) < 0.2  # a namesake does not
    nasab = names.name_components("Amina bint Muhammad", options)
    assert nasab["family"] - nasab["given"] and nasab["given"] == names.name_components("Amina", options)["given"]


def test_the_given_component_tells_siblings_apart():
    tokenise = FieldTokeniser(FIELDS["name"])
    _, child = tokenise("Магомедова Амина Магомедовна")
    _, same = tokenise("AMINA MAGOMEDOVA")
    _, sister = tokenise("Магомедова Фатима Магомедовна")
    assert _dice(child["given"], same["given"]) > 0.8
    assert _dice(child["given"], sister["given"]) < 0.2
    assert _dice(child[""], sister[""]) > _dice(child["given"], sister["given"])


def test_ancestors_names_after_bint_are_not_the_persons_given_names():
    parts = names.name_components("Amina bint Muhammad", FIELDS["name"].options)
    alone = names.name_components("Amina", FIELDS["name"].options)
    assert parts["given"] == alone["given"]


def test_surname_only_leaves_the_given_component_missing():
    status, parts = FieldTokeniser(FIELDS["name"])("Иванова")
    assert status is Status.PRESENT and parts["given"] == frozenset()


def test_dates_split_into_year_and_month_day():
    tokenise = FieldTokeniser(FIELDS["birth_date"])
    _, full = tokenise("17.05.2013")
    _, year = tokenise("~2013")
    assert full["year"] <= year["year"] and year["month_day"] == frozenset()
    assert tokenise("not a date")[0] is Status.UNPARSABLE
    assert tokenise("  ")[0] is Status.MISSING


def test_categories_read_spellings_in_several_scripts():
    tokenise = FieldTokeniser(FIELDS["sex"])
    assert tokenise("Ж")[1] == tokenise("female")[1] == tokenise("أنثى")[1]
    assert tokenise("unknown")[0] is Status.UNPARSABLE
