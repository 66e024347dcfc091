"""Legacy font encodings (TCVN3/ABC, VNI): tables, detection, conversion of text and HTML pages."""
from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

import pytest

from pipelines.decode import decode_html
from pipelines.legacy_fonts import (
    TCVN3,
    VNI,
    convert_legacy,
    detect_legacy_encoding,
    fix_legacy_html,
    fix_legacy_text,
    is_vietnamese_syllable,
    tables,
)

GOLD = Path(__file__).parent / "gold" / "sites" / "kontum-legacy"

# ------------------------------------------------------------------------ encoders (inverted tables)

_LOWER = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def vietnamese_letters() -> set[str]:
    """The 134 accented Vietnamese letters (67 lowercase + 67 uppercase)."""
    out = {"đ", "Đ"}
    for base in "aăâeêioôơuưy":
        for tone in _TONES:
            letter = unicodedata.normalize("NFC", base + tone)
            if not letter.isascii():
                out |= {letter, letter.upper()}
    return out


def encode_tcvn3(text: str, *, lower_capitals: bool = False) -> str:
    """Unicode -> TCVN3 (as the latin-1 characters the bytes decode to).

    TCVN3 has no capitals with tone marks (Ủ, Ở, Ấ...): they raise, or with `lower_capitals` are written
    with the lowercase code, as in the uppercase .VnTimeH font."""
    inverse = {letter: code for code, letter in tables()[TCVN3].items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in inverse:
            out.append(inverse[ch])
        elif ch.lower() in inverse and lower_capitals:
            out.append(inverse[ch.lower()])
        elif ord(ch) < 0x80 or ch in "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026":
            out.append(ch)
        else:
            raise ValueError(f"not encodable in TCVN3: {ch!r} in {text!r}")
    return "".join(out)


def encode_vni(text: str) -> str:
    """Unicode -> VNI Windows (as the latin-1 characters the bytes decode to)."""
    inverse = {letter: code for code, letter in tables()[VNI].items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in inverse:
            out.append(inverse[ch])
        elif ord(ch) < 0x80 or ch in "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026":
            out.append(ch)
        else:
            raise ValueError(f"not encodable in VNI: {ch!r} in {text!r}")
    return "".join(out)


# ------------------------------------------------------------------------------------------- texts

VIETNAMESE = [
    "Cộng hoà xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc.",
    "Sáng 13/3, Ban Chấp hành Đảng bộ tỉnh Kon Tum tổ chức hội nghị lần thứ 8 để đánh giá tình hình thực "
    "hiện nhiệm vụ chính trị quý I và triển khai nhiệm vụ trọng tâm quý II năm 2006.",
    "Đồng chí Bí thư Tỉnh ủy nhấn mạnh các cấp uỷ đảng cần tiếp tục đẩy mạnh cuộc vận động xây dựng, chỉnh "
    "đốn Đảng, nâng cao năng lực lãnh đạo và sức chiến đấu của tổ chức cơ sở đảng.",
    "Toàn tỉnh đã kết nạp được 312 đảng viên mới, đạt 104% kế hoạch; công tác kiểm tra, giám sát được "
    "tăng cường, góp phần giữ vững ổn định chính trị, trật tự an toàn xã hội trên địa bàn.",
    "Hội nghị thống nhất đề nghị Trung ương xem xét, bổ sung nguồn vốn đầu tư cho các xã đặc biệt khó khăn "
    "vùng đồng bào dân tộc thiểu số, nhất là các huyện biên giới Đắk Glei, Ngọc Hồi và Sa Thầy.",
    "Những ngày cuối năm, không khí thi đua lập thành tích chào mừng Đại hội đại biểu toàn quốc lần thứ X "
    "của Đảng diễn ra sôi nổi ở khắp các thôn, làng, cơ quan, đơn vị, trường học.",
    "Phong trào học tập và làm theo tấm gương đạo đức Hồ Chí Minh được các chi bộ thường xuyên quán triệt; "
    "nhiều gương người tốt, việc tốt được biểu dương kịp thời, tạo sức lan tỏa rộng khắp.",
    "Thường trực Huyện ủy yêu cầu khắc phục ngay những thiếu sót, khuyết điểm đã chỉ ra, không để kéo dài, "
    "gây bức xúc trong nhân dân; người đứng đầu phải chịu trách nhiệm trước tập thể.",
    "Ông Nguyễn Văn Hùng, Trưởng ban Tuyên giáo Huyện ủy, cho biết: huyện đã mở 14 lớp bồi dưỡng lý luận "
    "chính trị cho hơn 900 lượt cán bộ, đảng viên ở cơ sở; chất lượng học tập được nâng lên rõ rệt.",
    "Ở những thôn, làng xa, tuyên truyền viên đến tận nhà già làng, người có uy tín để vận động bà con "
    "chuyển đổi cây trồng, phát triển kinh tế hộ gia đình, thoát nghèo bền vững.",
    "Ủy ban Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội phối hợp giám sát, phản biện xã hội; "
    "quyền làm chủ của nhân dân được phát huy, khối đại đoàn kết toàn dân tộc được củng cố.",
    "Các giải pháp cụ thể để khắc phục những tồn tại, hạn chế ở Phú Thiện, Phó Hiến và toàn tỉnh đã được "
    "hội nghị thống nhất; thầy cô giáo ở các trường vùng cao được quan tâm hỗ trợ.",
    "Yêu cầu đặt ra là khuyến khích thanh niên xung kích, tình nguyện, giữ gìn bản sắc văn hóa truyền "
    "thống, xây dựng nếp sống văn minh ở khu dân cư; kỷ cương, kỉ luật được siết chặt.",
]

ENGLISH = [
    "The committee reviewed the annual plan on Monday. Officials said the café on Main Street, run by a "
    "former naïve résumé writer, would reopen in spring; the coöperative's © 2024 report was cited twice.",
    "Prices rose 2.5% in the third quarter, according to the statistics office, while the central bank kept "
    "its benchmark rate unchanged at 4.5%. Analysts expect a gradual slowdown through the end of the year.",
    "Señor García and Zoë Müller met at the Beyoncé concert; it was déjà vu for the fiancée, who ordered a "
    "crème brûlée and a piña colada before the encore. The temperature was 25°C and ½ of the hall was full.",
]

FRENCH = [
    "Le président a annoncé mercredi une série de mesures destinées à soutenir le pouvoir d'achat des "
    "ménages les plus modestes. « Nous devons agir vite », a-t-il déclaré à l'issue du conseil des "
    "ministres, où l'on a également évoqué la réforme des retraites et la hausse des prix de l'énergie.",
    "À Lyon, les élèves du lycée ont présenté leur projet devant le jury : une étude sur la qualité de l'eau "
    "du Rhône. Où en est-on aujourd'hui ? Très bientôt, la mairie décidera s'il faut étendre l'expérience "
    "à d'autres établissements. Le coût total s'élève à près de 12 000 euros, déjà financés à moitié.",
    "Il était une fois un château où vivait une reine âgée. Chaque été, elle se rendait à la côte, près "
    "d'un hôtel célèbre, pour y goûter le thé et les crêpes. Noël approchait ; la forêt était couverte de "
    "neige, et les enfants rêvaient déjà des fêtes.",
]

GERMAN = [
    "Die Bundesregierung hat am Mittwoch ein neues Maßnahmenpaket beschlossen, das die Wirtschaft in "
    "schwierigen Zeiten stützen soll. Für kleine und mittlere Unternehmen sind zusätzliche Förderprogramme "
    "vorgesehen; außerdem sollen Bürger bei den Energiekosten entlastet werden.",
    "Über die Brücke fährt täglich ein Zug nach München. Die Fahrgäste beschweren sich häufig über "
    "Verspätungen, doch die Bahn verspricht Besserung: Bis 2025 würden die Gleise erneuert, heißt es. "
    "Schöne Grüße aus Köln, schrieb ein Leser, der öfter mit dem Fahrrad fährt.",
]

PORTUGUESE = [
    "O governo anunciou nesta terça-feira um pacote de medidas para estimular a economia. Segundo o "
    "ministro, a inflação deve cair até o fim do ano, e a geração de empregos será prioridade. A oposição "
    "criticou a decisão e disse que não há garantias de que as ações terão efeito.",
    "Minha mãe sempre dizia que a educação é o caminho. Hoje, já formada, sei que ela tinha razão: "
    "estudei à noite, trabalhei de dia e, depois de três anos, consegui o diploma. Você também pode, "
    "não desista; só é preciso persistência e um pouco de sorte, avó e avô também concordam.",
]

SPANISH = [
    "El Gobierno aprobó este martes una reforma que, según el ministro, permitirá reducir la inflación y "
    "crear más empleo en los próximos años. La oposición señaló que la medida llega tarde y que no "
    "resolverá los problemas de fondo de la economía española.",
    "¿Qué pasó en la reunión? Nadie lo sabe con certeza. Sí, el niño llegó a tiempo, pero su compañero "
    "se quedó en la estación; mañana habrá otra sesión y la canción del año será elegida por votación.",
]

ITALIAN = [
    "Il governo ha approvato ieri un decreto che prevede nuovi aiuti per le famiglie. Però la città è "
    "ancora divisa: perché non si è fatto prima? Più di metà dei cittadini chiede una risposta già domani.",
]


def tcvn3_sentence(text: str) -> tuple[str, str]:
    """(TCVN3 form, what it converts back to): capitals with tone marks go lowercase."""
    encoded = encode_tcvn3(text, lower_capitals=True)
    inverse = {letter for letter in tables()[TCVN3].values()}
    expected = "".join(ch if ch in inverse or ch.isascii() or ch.lower() not in inverse else ch.lower()
                       for ch in unicodedata.normalize("NFC", text))
    return encoded, expected


# ------------------------------------------------------------------------------------------ tables


def test_tables_are_complete():
    letters = vietnamese_letters()
    assert len(letters) == 134
    vni = tables()[VNI]
    assert set(vni.values()) == letters
    assert len(vni) == 134  # one code per letter
    tcvn3 = tables()[TCVN3]
    assert set(tcvn3.values()) == {c for c in letters if c.islower()} | set("ĂÂÊÔƠƯĐ")
    assert len(tcvn3) == 74
    for table in (tcvn3, vni, tables()["tcvn3_vn1_extra"]):
        for code, letter in table.items():
            assert all("\u00a1" <= ch <= "\u00ff" or ch.isascii() for ch in code)
            assert not code.isascii()
            assert unicodedata.normalize("NFC", letter) == letter and len(letter) == 1
    # VNI: an ASCII base vowel and a modifier, or one byte
    for code in vni:
        assert len(code) == 1 or (len(code) == 2 and code[0] in "aeouyAEOUY\u00f4\u00f6\u00d4\u00d6")
    # the VN1 extras are capitals TCVN3 lacks
    extra = tables()["tcvn3_vn1_extra"]
    assert not set(extra) & set(tcvn3)
    assert all(letter.isupper() for letter in extra.values())


@pytest.mark.parametrize("code,letter", [
    ("\u00e9", "ộ"), ("\u00b5", "à"), ("\u00b7", "ã"), ("\u00f1", "ủ"), ("\u00dc", "ĩ"), ("\u00d6", "ệ"),
    ("\u00ad", "ư"), ("\u00ae", "đ"), ("\u00a7", "Đ"), ("\u00ac", "ơ"), ("\u00ab", "ô"), ("\u00b8", "á"),
    ("\u00be", "ắ"), ("\u00ca", "ấ"), ("\u00d5", "ế"), ("\u00ed", "ớ"), ("\u00f8", "ứ"), ("\u00fe", "ỵ"),
])
def test_tcvn3_codes(code, letter):
    assert convert_legacy(code, TCVN3) == letter


@pytest.mark.parametrize("code,letter", [
    ("o\u00e4", "ộ"), ("a\u00f8", "à"), ("a\u00f5", "ã"), ("u\u00fb", "ủ"), ("\u00f3", "ĩ"), ("e\u00e4", "ệ"),
    ("\u00f6", "ư"), ("\u00f1", "đ"), ("\u00d1", "Đ"), ("\u00f4", "ơ"), ("o\u00e2", "ô"), ("a\u00f9", "á"),
    ("a\u00e9", "ắ"), ("a\u00fa", "ẳ"), ("a\u00fc", "ẵ"), ("a\u00eb", "ặ"), ("\u00f4\u00f9", "ớ"),
    ("\u00f6\u00f8", "ừ"), ("\u00ee", "ỵ"), ("\u00e6", "ỉ"), ("\u00f2", "ị"), ("O\u00c4", "Ộ"),
    ("\u00d4\u00d9", "Ớ"), ("\u00d6\u00cf", "Ự"), ("A\u00ca", "Ă"), ("Y\u00d5", "Ỹ"), ("\u00ce", "Ỵ"),
])
def test_vni_codes(code, letter):
    assert convert_legacy(code, VNI) == letter


def test_known_strings():
    assert convert_legacy("céng hoµ x· héi chñ nghÜa viÖt nam", TCVN3) == "cộng hoà xã hội chủ nghĩa việt nam"
    assert convert_legacy("Coäng hoaø xaõ hoäi chuû nghóa Vieät Nam", VNI) == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert convert_legacy("§¶ng Céng s¶n ViÖt Nam", TCVN3) == "Đảng Cộng sản Việt Nam"
    assert convert_legacy("Ñaûng Coäng saûn Vieät Nam", VNI) == "Đảng Cộng sản Việt Nam"
    assert convert_legacy("n\u00adíc", TCVN3) == "nước"
    assert convert_legacy("nöôùc", VNI) == "nước"
    assert convert_legacy("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", VNI) == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert encode_tcvn3("cộng hoà xã hội chủ nghĩa việt nam") == "céng hoµ x· héi chñ nghÜa viÖt nam"
    assert encode_vni("Cộng hoà xã hội chủ nghĩa Việt Nam") == "Coäng hoaø xaõ hoäi chuû nghóa Vieät Nam"


def test_output_is_nfc_and_unknown_encoding_raises():
    out = convert_legacy("Tr\u00adêng", TCVN3)
    assert out == unicodedata.normalize("NFC", out) == "Trường"
    with pytest.raises(ValueError):
        convert_legacy("x", "viscii")


def test_vn1_extra_capitals_only_on_request():
    assert convert_legacy("\u00c1", TCVN3) == "\u00c1"
    assert convert_legacy("\u00c1", TCVN3, vn1_extra=True) == "Ầ"


def test_vni_case_mixed_pairs():
    # base and modifier typed in different cases still make the letter, in the base's case
    assert convert_legacy("Au\u00f9", VNI) == "Aú"
    assert convert_legacy("A\u00f9nh", VNI) == "Ánh"


# ------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("sentence", VIETNAMESE)
def test_round_trip_vni(sentence):
    encoded = encode_vni(sentence)
    assert encoded != sentence
    assert convert_legacy(encoded, VNI) == sentence
    assert detect_legacy_encoding(encoded) == VNI
    assert fix_legacy_text(encoded) == (sentence, VNI)


@pytest.mark.parametrize("sentence", VIETNAMESE)
def test_round_trip_tcvn3(sentence):
    encoded, expected = tcvn3_sentence(sentence)
    assert convert_legacy(encoded, TCVN3) == expected
    assert detect_legacy_encoding(encoded) == TCVN3
    assert fix_legacy_text(encoded) == (expected, TCVN3)


def test_every_letter_round_trips():
    letters = sorted(vietnamese_letters())
    text = " ".join(letters)
    assert convert_legacy(encode_vni(text), VNI) == text
    lower = " ".join(c for c in letters if c.islower())
    assert convert_legacy(encode_tcvn3(lower), TCVN3) == lower
    with pytest.raises(ValueError):
        encode_tcvn3("Ủy")


def test_conversion_touches_only_table_characters():
    markup = '<a href="/tin-tuc/chi-tiet.asp?id=12&amp;p=1" class="menu" title="x">Tin tøc</a>'
    assert convert_legacy(markup, TCVN3) == markup.replace("tøc", "tức")
    assert convert_legacy('<p align="center">Tin töùc</p>', VNI) == '<p align="center">Tin tức</p>'
    ascii_text = "<div id='a'>abc 123 ;:!? {} []</div>"
    assert convert_legacy(ascii_text, TCVN3) == convert_legacy(ascii_text, VNI) == ascii_text


# -------------------------------------------------------------------------------- syllable checker


@pytest.mark.parametrize("word", ["nghiêng", "quốc", "giữa", "gì", "khuya", "thuở", "hoà", "hòa", "tốt",
                                  "kiểm", "yêu", "chuyện", "Nguyễn", "xoong", "được", "ủy", "uỷ", "Đảng"])
def test_syllables(word):
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("word", ["tôt", "cỏc", "cé", "ghà", "ngiêng", "été", "für", "año", "stạt", "cĩi",
                                  "khơng", "xã·", "héi", "chñ"])
def test_not_syllables(word):
    assert not is_vietnamese_syllable(word)


# --------------------------------------------------------------------------------- no false alarms


@pytest.mark.parametrize("text", VIETNAMESE + ENGLISH + FRENCH + GERMAN + PORTUGUESE + SPANISH + ITALIAN)
def test_no_false_positive(text):
    assert detect_legacy_encoding(text) is None
    assert fix_legacy_text(text) == (text, None)
    page = f"<html><body><p title=\"{text[:40]}\">{text}</p><p>{text}</p></body></html>"
    assert fix_legacy_html(page) == (page, None)


def test_no_false_positive_on_long_texts():
    for texts in (VIETNAMESE, ENGLISH, FRENCH, GERMAN, PORTUGUESE, SPANISH):
        text = "\n\n".join(texts * 5)
        assert detect_legacy_encoding(text) is None
        assert fix_legacy_text(text) == (text, None)
    everything = " ".join(VIETNAMESE + ENGLISH + FRENCH + GERMAN + PORTUGUESE + SPANISH + ITALIAN)
    assert detect_legacy_encoding(everything) is None


def test_symbols_are_not_evidence():
    text = "« Bonjour » © 2006 ® ¶ § · µ ¿ ¡ ° ± ½ ¼ ¾ ª º × ÷ « ô » ñ"
    assert detect_legacy_encoding(text) is None


def test_short_text_needs_evidence():
    assert detect_legacy_encoding("héi") is None  # one word is not enough
    assert detect_legacy_encoding("Héi nghÞ tØnh ñy") == TCVN3


# ---------------------------------------------------------------------------------------- plain text


def test_mixed_lines():
    unicode_line = "Thông báo: các đồng chí có mặt lúc 7 giờ tại hội trường."
    legacy = [encode_tcvn3(s) for s in (
        "hội nghị đã thông qua nghị quyết về công tác xây dựng đảng năm 2006.",
        "các đại biểu thống nhất cao với báo cáo của ban thường vụ.",
    )]
    text = "\n".join([unicode_line, legacy[0], legacy[1], "Tìm kiếm"])
    out, enc = fix_legacy_text(text)
    assert enc == TCVN3
    lines = out.split("\n")
    assert lines[0] == unicode_line
    assert lines[1] == "hội nghị đã thông qua nghị quyết về công tác xây dựng đảng năm 2006."
    assert lines[2] == "các đại biểu thống nhất cao với báo cáo của ban thường vụ."
    assert lines[3] == "Tìm kiếm"


def test_words_that_look_unicode_inside_legacy_text():
    # `lÊn` lower-cases to the common `lên`, but its case shows it is TCVN3 `lấn`
    sentence = "tình trạng lấn chiếm đất rừng làm rẫy chưa được ngăn chặn kịp thời"
    assert fix_legacy_text(encode_tcvn3(sentence)) == (sentence, TCVN3)
    # Unicode words left in a legacy line (`Thông báo`, `Tin tức`) stay as they are
    line = "Thông báo - Tin tức: " + encode_tcvn3("hội nghị ban chấp hành đảng bộ tỉnh lần thứ tư")
    assert fix_legacy_text(line) == ("Thông báo - Tin tức: hội nghị ban chấp hành đảng bộ tỉnh lần thứ tư", TCVN3)


# ---------------------------------------------------------------------------------------------- HTML

BODY = [
    "Ngày 13/3/2006, Ban Chấp hành Đảng bộ tỉnh tổ chức hội nghị lần thứ 8 để đánh giá tình hình thực hiện "
    "nhiệm vụ chính trị quý I và bàn giải pháp thực hiện nhiệm vụ quý II năm 2006.",
    "Hội nghị đã nghe báo cáo kết quả lãnh đạo thực hiện nhiệm vụ phát triển kinh tế - xã hội, quốc phòng - "
    "an ninh và công tác xây dựng Đảng; thảo luận, góp ý vào dự thảo các văn kiện trình Đại hội X của Đảng.",
    "Các đại biểu thống nhất cao với báo cáo của Ban Thường vụ Tỉnh ủy và đề nghị các cấp ủy đảng tập trung "
    "chỉ đạo, khắc phục khó khăn, phấn đấu hoàn thành thắng lợi các chỉ tiêu đã đề ra.",
]


def mixed_page(encode, face: str = ".VnTime") -> tuple[str, dict]:
    """A page whose menus, scripts and attributes are Unicode and whose article is legacy text."""
    menu = ("<td class='menu'><a href='/' title='Trang chủ'>Trang ch&#7911;</a> | <a href='/gt.asp'>Gi&#7899;i "
            "thi&#7879;u</a> | <a href='/tb.asp'>Thông báo</a> | <a href='/tk.asp'>Tìm</a> | "
            "<a href='/tn.asp'>Tin nóng</a> | <a href='/vb.asp'>Văn bản</a></td>")
    script = "<script>var s = 'céng hoµ x· héi'; if (a < b && c > d) { s += '»'; }</script>"
    paragraphs = "".join(f"<p align='justify'><font face='{face}'>{encode(p)}</font></p>\n" for p in BODY)
    image = f"<img src='/Uploads/hn.jpg' alt='{encode('Quang cảnh hội nghị')}' width='400'>"
    heading = f"<font face='{face}H' size='3'><b>{encode('hội nghị ban chấp hành đảng bộ tỉnh lần thứ 8')}</b></font>"
    page = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>"
            f"<title>Ban Tuyen giao</title>{script}<style>td {{ font-family: '.VnTime'; }}</style></head>"
            f"<body><table><tr>{menu}</tr><tr><td class='title_news'>{heading}</td></tr>"
            f"<tr><td>{image}<!-- céng hoµ -->\n{paragraphs}</td></tr>"
            "<tr><td>B&#7843;n quy&#7873;n thu&#7897;c Ban Tuy&#234;n gi&#225;o T&#7881;nh &#7911;y "
            "Kon Tum &raquo; © 2006</td></tr></table></body></html>")
    return page, {"menu": menu, "script": script}


def _tags(html_text: str) -> list[str]:
    return re.findall(r"<[^>]*>", re.sub(r"(?:title|alt)='[^']*'", "", html_text))


def test_mixed_page_converts_only_the_legacy_body():
    page, parts = mixed_page(encode_tcvn3)
    out, enc = fix_legacy_html(page)
    assert enc == TCVN3
    for p in BODY:
        assert p in out
    assert parts["menu"] in out  # Unicode menus untouched, including latin-1-only words
    assert parts["script"] in out  # scripts untouched
    assert "<!-- céng hoµ -->" in out  # comments untouched
    assert "alt='Quang cảnh hội nghị'" in out
    assert "HỘI NGHỊ BAN CHẤP HÀNH ĐẢNG BỘ TỈNH LẦN THỨ 8" in out  # .VnTimeH draws capitals
    assert "Kon Tum &raquo; © 2006" in out
    assert _tags(out) == _tags(page)


def test_vni_page_all_converted():
    page, parts = mixed_page(encode_vni, face="VNI-Times")
    menu_vni = encode_vni("<a href='/'>Trang chủ</a> | <a href='/tb.asp'>Thông báo</a> | <a href='/tk.asp'>Tìm kiếm</a>")
    page = page.replace(parts["menu"], f"<td class='menu'>{menu_vni}</td>")
    out, enc = fix_legacy_html(page)
    assert enc == VNI
    for p in BODY:
        assert p in out
    assert "<a href='/'>Trang chủ</a> | <a href='/tb.asp'>Thông báo</a> | <a href='/tk.asp'>Tìm kiếm</a>" in out
    assert "hội nghị ban chấp hành đảng bộ tỉnh lần thứ 8" in out  # VNI-TimesH is no TCVN3 capital font
    assert parts["script"] in out
    assert _tags(out) == _tags(page)


def test_character_references_of_legacy_text():
    body = " ".join(BODY)
    escaped = "".join(f"&#{ord(ch)};" if ord(ch) > 0x7f and i % 2 else ch for i, ch in enumerate(encode_tcvn3(body)))
    escaped = escaped.replace("é", "&eacute;")
    page = f"<html><body><p>{escaped}</p><p>Tom &amp; Jerry &lt;3</p></body></html>"
    out, enc = fix_legacy_html(page)
    assert enc == TCVN3
    assert body in out
    assert "<p>Tom &amp; Jerry &lt;3</p>" in out


def test_fix_legacy_text_hands_html_over():
    page, _ = mixed_page(encode_tcvn3)
    assert fix_legacy_text(page) == fix_legacy_html(page)


def test_unicode_page_untouched():
    paragraphs = "".join(f"<p>{s}</p>" for s in VIETNAMESE)
    page = f"<html><head><title>Tin tức</title></head><body><div class='menu'>Thông báo | Tìm</div>{paragraphs}</body></html>"
    assert fix_legacy_html(page) == (page, None)


# ------------------------------------------------------------------------------------------- speed


def _ordinary_page(size: int = 200_000) -> str:
    chunks, total, i = [], 0, 0
    texts = VIETNAMESE + ENGLISH
    while total < size:
        text = texts[i % len(texts)]
        chunk = (f'<div class="item"><a href="/tin-tuc/{i}.html" title="{text[:30]}">{text[:60]}</a>'
                 f'<p class="sapo">{text}</p><span>&nbsp;&copy; 2024</span></div>\n')
        chunks.append(chunk)
        total += len(chunk)
        i += 1
    return "<html><body>" + "".join(chunks) + "</body></html>"


def test_a_large_ordinary_page_is_left_alone():
    # the detector's speed on big pages is part of bench/perf.py's core figure, not a timed test
    page = _ordinary_page()
    assert len(page) >= 200_000
    assert detect_legacy_encoding(page) is None
    assert detect_legacy_encoding("The committee reviewed the plan. " * 6000) is None
    assert fix_legacy_html(page)[0] == page


# --------------------------------------------------------------------------------------- gold pages


@pytest.mark.parametrize("name,encoding", [("tcvn3-hoi-nghi-tinh-uy", TCVN3), ("vni-hoi-nghi-bao-cao-vien", VNI)])
def test_gold_pages(name, encoding):
    case = json.loads((GOLD / "pages" / f"{name}.json").read_text(encoding="utf-8"))
    raw = (GOLD / "pages" / f"{name}.html").read_bytes()
    html_text, _codec = decode_html(raw, case["headers"])
    assert detect_legacy_encoding(html_text) == encoding
    out, enc = fix_legacy_html(html_text)
    assert enc == encoding
    visible = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", out)))
    expected = case["expected"]
    assert expected["title"] in visible
    for paragraph in expected["text"].split("\n\n"):
        assert paragraph in visible
    for author in expected["authors"]:
        assert author in visible
