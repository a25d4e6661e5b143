"""Russian names, company names, e-mail transliteration and tax ids (INN) for the generator.

All builders are vectorised over numpy arrays of indices so a chunk of clients costs a handful of
array operations, and they are pure functions of their inputs (randomness comes from the caller's
generator), which keeps the output deterministic.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import polars as pl


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word list (keeps the long lists compact in the source)."""
    return tuple(text.split())


# --- People --------------------------------------------------------------------------------------

MALE_FIRST: Final = _words(
    """
    Александр Алексей Андрей Антон Артём Борис Вадим Валерий Виктор Виталий Владимир Вячеслав
    Геннадий Георгий Григорий Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Леонид
    Максим Михаил Никита Николай Олег Павел Пётр Роман Сергей Станислав Степан Тимур Фёдор Юрий
    """
)
FEMALE_FIRST: Final = _words(
    """
    Алёна Алина Алла Анастасия Анна Валентина Валерия Вера Виктория Галина Дарья Диана Екатерина
    Елена Елизавета Жанна Ирина Кристина Ксения Лариса Любовь Людмила Марина Мария Надежда
    Наталья Нина Оксана Ольга Полина Светлана Софья Татьяна Ульяна Юлия Яна
    """
)
#: Fathers' names; the patronymic is derived per gender below.
FATHERS: Final = _words(
    """
    Александр Алексей Анатолий Андрей Борис Валентин Василий Виктор Владимир Геннадий Георгий
    Григорий Дмитрий Евгений Иван Игорь Михаил Николай Олег Павел Пётр Сергей Степан Юрий
    """
)
#: Surnames in the masculine form; the feminine form is derived by the usual endings.
SURNAMES: Final = _words(
    """
    Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов
    Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров
    Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин
    Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов
    Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев
    Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов
    Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов
    Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов
    Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров
    Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров
    Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов
    Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин
    Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков
    Левин Митрофанов Воронцов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров
    Демидов Елисеев Рыбаков Сафонов Плотников Демин Хохлов Жданов Руднев Зуев Соколовский
    Вишневский Ковальский Шевченко Бондаренко Ткаченко Кравченко Ким Гарипов Хабибуллин Сафин
    Галиев Латыпов
    """
)

_TRANSLIT: Final = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _words("a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y _ e iu ia"),
        strict=True,
    )
)


def feminine_surname(surname: str) -> str:
    """Return the feminine form of a masculine Russian surname (Иванов → Иванова)."""
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ёв", "ев", "ин", "ын")):
        return surname + "а"
    return surname  # Шевченко, Ким, Гарипов-like loans already handled above


def patronymic(father: str, female: bool) -> str:
    """Return the patronymic from a father's first name (Сергей → Сергеевич / Сергеевна)."""
    irregular = {
        "Пётр": "Петро",
        "Павел": "Павло",
        "Михаил": "Михайло",
        "Анатолий": "Анатолье",
        "Василий": "Василье",
        "Геннадий": "Геннадье",
        "Евгений": "Евгенье",
        "Григорий": "Григорье",
        "Юрий": "Юрье",
    }
    stem = irregular.get(father)
    if stem is None:
        stem = father[:-1] + "е" if father.endswith(("й", "ь")) else father + "о"
    return stem + ("вна" if female else "вич")


def transliterate(text: str) -> str:
    """Transliterate Cyrillic to lower-case Latin for e-mail addresses (passport style)."""
    out = []
    for ch in text.lower():
        lat = _TRANSLIT.get(ch, ch)
        out.append("" if lat == "_" else lat)
    return "".join(out)


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[str]]:
    """Draw ``n`` Russian full names; return (full names "Фамилия Имя Отчество", first, surname)."""
    female = rng.random(n) < 0.45
    first_m = rng.integers(0, len(MALE_FIRST), n)
    first_f = rng.integers(0, len(FEMALE_FIRST), n)
    fathers = rng.integers(0, len(FATHERS), n)
    surnames = rng.integers(0, len(SURNAMES), n)
    full, first, last = [], [], []
    for i in range(n):  # per person, not per sales line: at most a few thousand iterations
        fem = bool(female[i])
        name = FEMALE_FIRST[first_f[i]] if fem else MALE_FIRST[first_m[i]]
        surname = SURNAMES[surnames[i]]
        surname = feminine_surname(surname) if fem else surname
        full.append(f"{surname} {name} {patronymic(FATHERS[fathers[i]], fem)}")
        first.append(name)
        last.append(surname)
    return full, first, last


def emails(first: list[str], last: list[str], domain: str = "example.com") -> list[str]:
    """Build unique ``i.surname@domain`` addresses, numbering repeated ones (a.ivanov2@...)."""
    seen: dict[str, int] = {}
    out = []
    for f, s in zip(first, last, strict=True):
        local = f"{transliterate(f)[0]}.{transliterate(s)}"
        count = seen.get(local, 0) + 1
        seen[local] = count
        out.append(f"{local}{count if count > 1 else ''}@{domain}")
    return out


# --- Companies -----------------------------------------------------------------------------------

ROOTS: Final = _words(
    """
    Техно Агро Строй Металл Пром Энерго Сиб Урал Волга Север Нефте Газ Авто Транс Эко Электро
    Инже Альфа Вектор Гранит Кристалл Стандарт Профи Мега Регион Балт Дон Кама Ока Кубань Алтай
    Байкал Енисей Нева Вятка Тверь Полимер Сталь Лес Дор Спец Гидро Термо Мото Мост Терра Омега
    Дельта Сигма Орион Атлант Титан Феникс Меридиан Горизонт Зенит Прогресс Союз Восток Запад Юг
    Центр Стрела Арсенал Форт Базис Ресурс Контур Импульс Квант Вертикаль Магистраль Евро Инвест
    Аква Фарм Хим Агрегат Станко Бетон
    """
)
TAILS: Final = _words(
    """
    снаб сервис трейд комплект маш прибор монтаж логистик систем холдинг тех пласт деталь маркет
    групп торг индустрия проект мир лайн опт поставка инжиниринг завод терминал техника альянс
    капитал механика автоматика сбыт партнёр
    """
)
_ENDINGS: Final = _words(
    """
    Плюс -М Групп -Центр -Юг -Север 2000 -Регион Инжиниринг -Трейд Холдинг -Сибирь -Урал -Волга
    -Дон -Кубань -Казань -Самара -Пермь -Тверь -Поволжье -Запад -Восток -Нева -Ока -Кама М Про
    Лидер Сервис
    """
)
#: Name endings: hyphenated ones attach directly, the others after a space.
ENDINGS: Final = tuple(w if w.startswith("-") else " " + w for w in _ENDINGS)
#: Subsidiary suffixes for members of a holding group (shared root, distinct suffix).
#: None of them is also an ending, so a member never repeats its leader's name.
GROUP_SUFFIXES: Final = _words("Логистик Производство Снабжение Комплект Инвест Девелопмент Энерго")
#: Names that a spreadsheet would take for formulas; they exercise CSV/XLSX export escaping.
FORMULA_NAMES: Final = ('=ООО "Формула"', "+7 Холдинг", "@Бизнес")

LEGAL_FORMS: Final = ("ООО", "АО", "ПАО", "ИП")
OOO, AO, PAO, IP = range(len(LEGAL_FORMS))


def _coprime_multiplier(modulus: int, start: int) -> int:
    """Return the first odd number >= ``start`` coprime to ``modulus`` (an affine bijection)."""
    a = start | 1
    while math.gcd(a, modulus) != 1:
        a += 2
    return a


def scatter(index: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """Map global indices bijectively onto ``[0, modulus)`` so neighbours look unrelated.

    An affine map ``(a*i + b) mod m`` with ``gcd(a, m) = 1`` is a bijection, so distinct clients get
    distinct names/tax ids as long as there are fewer clients than ``modulus``.
    """
    a = _coprime_multiplier(modulus, int(modulus * 0.6180339887) + salt)
    return (index.astype(np.int64) % modulus * a + salt) % modulus


def company_names(index: np.ndarray, forms: np.ndarray, total: int) -> list[str]:
    """Build names for clients with global ``index`` and legal-form codes ``forms``.

    Companies get ``ООО «Root+tail[ending]»``, sole traders ``ИП Фамилия Имя Отчество``.  The
    root+tail combinations are used in rounds: round 0 without an ending, round r with an ending
    that also depends on the combination (so endings vary), which keeps every name distinct for
    up to ``len(ROOTS) * len(TAILS) * (len(ENDINGS) + 1)`` clients and gives small companies
    mostly short names.  Bigger files repeat names, as real registers do (the INN differs).
    """
    n_t, n_e = len(TAILS), len(ENDINGS)
    combos = len(ROOTS) * n_t
    rounds = min(max(2, math.ceil(2 * total / combos)), n_e + 1)
    k = scatter(index, combos * rounds, 7)
    rnd, combo = k // combos, k % combos
    ending = pl.Series(("", *ENDINGS)).gather(
        np.where(rnd == 0, 0, (rnd - 1 + 7 * combo) % n_e + 1)
    )
    form = pl.Series(LEGAL_FORMS).gather(forms)
    roots, tails = pl.Series(ROOTS).gather(combo // n_t), pl.Series(TAILS).gather(combo % n_t)
    company = pl.select(
        pl.concat_str([form, pl.lit(" «"), roots, tails, ending, pl.lit("»")])
    ).to_series()

    n_f, n_p = len(MALE_FIRST), len(FATHERS)
    p = scatter(index, len(SURNAMES) * n_f * n_p, 11)
    surname = pl.Series(SURNAMES).gather(p // (n_f * n_p))
    first = pl.Series(MALE_FIRST).gather(p // n_p % n_f)
    father = pl.Series([patronymic(f, female=False) for f in FATHERS]).gather(p % n_p)
    trader = pl.select(
        pl.concat_str([pl.lit("ИП "), surname, pl.lit(" "), first, pl.lit(" "), father])
    ).to_series()
    return pl.select(pl.when(form == "ИП").then(trader).otherwise(company)).to_series().to_list()


def group_member_name(root_name: str, form: int, rank: int) -> str:
    """Name the ``rank``-th member of a holding whose leader is called ``root_name``."""
    stem = root_name.split("«", 1)[-1].split("»", 1)[0].split()[0].split("-")[0]
    suffix = GROUP_SUFFIXES[rank % len(GROUP_SUFFIXES)]
    return f"{LEGAL_FORMS[form if form != IP else OOO]} «{stem}-{suffix}»"


# --- Tax ids -------------------------------------------------------------------------------------

_INN10_WEIGHTS: Final = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8], dtype=np.int64)
#: Tail space: tax inspection 01..99 times a five-digit serial number.
_INN_TAILS: Final = 99 * 100_000
MAX_CLIENTS: Final = _INN_TAILS


def make_inns(region_codes: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Return valid, unique 10-digit legal-entity INNs as int64 (region code first).

    Digits 1-2 are the region code, 3-4 the tax inspection (01..99), 5-9 a serial and 10 the
    check digit.  The inspection+serial tail is a bijection of the global client index, so INNs
    are unique across the whole file whichever region a client is in.
    """
    tail = scatter(index, _INN_TAILS, 3)
    body = region_codes.astype(np.int64) * 10_000_000 + (tail // 100_000 + 1) * 100_000
    body += tail % 100_000
    digits = body[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64)) % 10
    check = (digits @ _INN10_WEIGHTS) % 11 % 10
    return body * 10 + check


def is_valid_inn(value: str) -> bool:
    """Check a 10-digit (organisation) or 12-digit (sole trader) INN checksum."""
    if not value.isdigit() or len(value) not in (10, 12):
        return False
    d = [int(c) for c in value]

    def check(weights: list[int]) -> int:
        return sum(w * x for w, x in zip(weights, d, strict=False)) % 11 % 10

    if len(d) == 10:
        return check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    return (
        check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
        and check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
    )
