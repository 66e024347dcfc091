"""What the spider hands to the item pipelines: one fetched page, raw."""
import scrapy


class PageItem(scrapy.Item):
    url = scrapy.Field()          # final URL after redirects
    requested_url = scrapy.Field()  # the URL first asked for, before redirects (optional)
    status = scrapy.Field()       # HTTP status
    headers = scrapy.Field()      # response headers, str -> str
    body = scrapy.Field()         # raw bytes, undecoded
    site = scrapy.Field()         # registry entry as a dict (key, name, province, family, rules)
    fetched_at = scrapy.Field()   # UTC ISO 8601
