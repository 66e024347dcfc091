"""Listing pagination in the shapes the CMS families use."""
import pytest

from crawler.pagination import split_page


@pytest.mark.parametrize("url, listing, number", [
    ("https://a.dcs.vn/news/chinh-tri/", "https://a.dcs.vn/news/chinh-tri", 1),
    ("https://a.dcs.vn/news/chinh-tri/page-3", "https://a.dcs.vn/news/chinh-tri", 3),
    ("https://a.vn/archives/category/tin-tuc/page/12/", "https://a.vn/archives/category/tin-tuc", 12),
    ("https://a.vn/page/2/", "https://a.vn/", 2),
    ("https://a.vn/", "https://a.vn/", 1),
    ("https://a.vn/tim-kiem/p4", "https://a.vn/tim-kiem", 4),
    ("https://a.vn/thoi-su/trang-5.html".replace(".html", ""), "https://a.vn/thoi-su", 5),
    ("https://a.vn/Tin-tuc.aspx?page=7", "https://a.vn/Tin-tuc.aspx", 7),
    ("https://a.vn/xay-dung-dang?cat=4&page=2", "https://a.vn/xay-dung-dang?cat=4", 2),
    ("https://a.vn/web/btg/tin-moi?p_p_id=x&cur=9", "https://a.vn/web/btg/tin-moi?p_p_id=x", 9),
])
def test_split_page(url, listing, number):
    assert split_page(url) == (listing, number)


def test_pages_of_one_listing_share_its_key_and_other_listings_do_not():
    assert split_page("https://a.vn/kinh-te?page=2")[0] == split_page("https://a.vn/kinh-te")[0]
    assert split_page("https://a.vn/kinh-te?page=2")[0] != split_page("https://a.vn/xa-hoi?page=2")[0]
    # a path segment that merely starts with "p" is not a page number
    assert split_page("https://a.vn/news/p-chinh-tri/") == ("https://a.vn/news/p-chinh-tri", 1)
