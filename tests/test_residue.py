"""The Vietnamese residue pass and bylines: each kind of leftover goes, text that only mentions it stays."""
import pytest

from pipelines.bylines import parse_byline
from pipelines.residue import chrome_kind, remove_residue, rules, strip_site_prefix

BODY = [
    "Chiều 29-12, Đảng ủy Khu kinh tế Hải Phòng tổ chức Hội nghị Ban Chấp hành (mở rộng) tổng kết công tác năm 2022; "
    "triển khai phương hướng, nhiệm vụ năm 2023.",
    "Đảng bộ Khu kinh tế hiện có 5 Đảng bộ cơ sở và 17 chi bộ cơ sở trong các khu công nghiệp, khu kinh tế Hải Phòng; "
    "tổng số đảng viên trong toàn Đảng bộ là 736 đồng chí.",
]


@pytest.mark.parametrize("line,kind", [
    ("Bình luận của bạn về bài viết...", "comment"),
    ("(0) Bình luận", "comment"),
    ("Ý kiến bạn đọc", "comment"),
    ("captcha", "captcha"),
    ("Mã bảo mật:", "captcha"),
    ("Từ khóa:", "tags_label"),
    ("In bài viết", "tools"),
    ("Cỡ chữ A- A+", "tools"),
    ("This website uses cookies. See Our policy to learn more.", "cookie"),
    ("Read More", "cookie"),
    ("Trang web này sử dụng cookie để nâng cao trải nghiệm người dùng.", "cookie"),
    ("img_8819.jpeg", "image_file"),
    ("DSC_0457.JPG", "image_file"),
    ("Bản quyền thuộc Đảng bộ tỉnh Ninh Bình", "copyright"),
    ("Ghi rõ nguồn khi phát hành lại thông tin từ website này", "copyright"),
])
def test_chrome_lines(line, kind):
    assert chrome_kind(line) == kind


@pytest.mark.parametrize("line", [
    "Hội nghị đã nhận được nhiều ý kiến bình luận sôi nổi của các đại biểu về dự thảo báo cáo chính trị.",
    "Các từ khóa tìm kiếm phổ biến nhất năm qua đều liên quan đến chuyển đổi số.",
    "Đồng chí Bí thư đề nghị đọc kỹ bài viết liên quan đến công tác cán bộ trước khi thảo luận.",
    "Video clip ghi lại toàn bộ buổi lễ đã được phát trên sóng truyền hình tỉnh vào tối cùng ngày.",
])
def test_body_text_that_mentions_chrome_words_stays(line):
    assert chrome_kind(line) is None
    assert remove_residue(BODY + [line]).paragraphs == BODY + [line]


def test_seed_000_tail():
    tail = ["Thái Bình", "Từ khóa:", "Bình luận của bạn về bài viết...", "captcha", "Bản tin Pháp luật",
            "Video clip", "Phóng sự ảnh", "An toàn giao thông"]
    result = remove_residue(BODY + tail)
    assert result.paragraphs == BODY
    assert result.bylines == ["Thái Bình"]


def test_seed_003_teasers_and_cookie_banner_after_byline():
    teasers = ["Hồi 23h31' ngày 23/11/2024, Trung tâm 114 Phòng Cảnh sát PCCC và CNCH nhận được…",
               "Việc thực hiện các thủ tục hành chính liên quan đến giấy chứng nhận quyền…",
               "Chiều 22/11, trong khuôn khổ của Diễn đàn Chuyển đổi số thành phố Hải Phòng…"]
    result = remove_residue(BODY + ["Hoàng Tùng"] + teasers + ["This website uses cookies. See Our policy to learn more.",
                                                               "Read More"])
    assert result.paragraphs == BODY and result.bylines == ["Hoàng Tùng"]


def test_related_section_with_teasers_in_the_middle_of_the_body():
    related = ["Tin liên quan:", "Ninh Bình: Tổng kết công tác xây dựng Đảng năm 2022",
               "Đảng ủy Khối triển khai nhiệm vụ năm 2023"]
    result = remove_residue([BODY[0]] + related + [BODY[1]])
    assert result.paragraphs == BODY


def test_tags_line_goes_to_tags():
    result = remove_residue(BODY + ["Từ khóa: xây dựng Đảng, Hải Phòng; khu kinh tế"])
    assert result.tags == ["xây dựng Đảng", "Hải Phòng", "khu kinh tế"]
    assert result.paragraphs == BODY


def test_attribution_is_not_an_author():
    result = remove_residue(BODY + ["Theo TTXVN"])
    assert result.paragraphs == BODY and result.bylines == []


def test_closing_sentence_is_kept_and_lists_at_the_end_are_not_menus():
    closing = ["Hội nghị kết thúc tốt đẹp.", "June 9 -- Coral Sky Amphitheatre, West Palm Beach, FL"]
    assert remove_residue(BODY + closing).paragraphs == BODY + closing


@pytest.mark.parametrize("line,names", [
    ("Thái Bình", ["Thái Bình"]), ("B.H", ["B.H"]), ("Minh Trí", ["Minh Trí"]), ("T.L", ["T.L"]),
    ("Tin, ảnh: Hoàng Tùng", ["Hoàng Tùng"]), ("Thu Hà - Đức Anh", ["Thu Hà", "Đức Anh"]),
    ("Minh Anh và Thu Trang", ["Minh Anh", "Thu Trang"]), ("Hoàng Tùng (tổng hợp)", ["Hoàng Tùng"]),
    ("Video clip", []), ("Bản tin Pháp luật", []), ("An toàn giao thông", []), ("Bài viết khác", []),
    ("Hội nghị kết thúc.", []), ("Ngày 10/2/2023", []),
])
def test_byline_shapes(line, names):
    assert parse_byline(line, rules()) == names


@pytest.mark.parametrize("raw,clean", [
    ("(Thanhuytphcm.vn) - Sáng 5/1, Thành ủy tổ chức hội nghị.", "Sáng 5/1, Thành ủy tổ chức hội nghị."),
    ("(ĐCSVN) - Chiều 10/7, Ban Bí thư làm việc.", "Chiều 10/7, Ban Bí thư làm việc."),
    ("(BNB) – Ngày 9/1, tỉnh tổ chức hội nghị.", "Ngày 9/1, tỉnh tổ chức hội nghị."),
    ("(mở rộng) tổng kết công tác", "(mở rộng) tổng kết công tác"),
])
def test_site_prefix(raw, clean):
    assert strip_site_prefix(raw) == clean
