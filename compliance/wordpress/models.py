"""A republisher's WordPress site, and the posts courtesy knows it serves.

A post is linked to its item by the original URL its importer stored (post meta or the
content's source link); posts whose article courtesy never ingested get an item of their
own, so that every copy a reader can see is on record and can be taken down."""

from django.db import models
from django.utils import timezone

from compliance.destinations.models import Destination
from compliance.items.models import Item

from .crypto import secret_decrypt, secret_encrypt

DEFAULT_META_KEYS = "wprss_item_permalink, feedzy_item_url, syndication_permalink"


class WordPressSite(models.Model):
    class TakedownStatus(models.TextChoices):
        DRAFT = "draft", "Draft"
        PRIVATE = "private", "Private"

    name = models.CharField(max_length=200)
    base_url = models.URLField(
        max_length=500, unique=True, help_text="The site's home, e.g. https://news.example.org/"
    )
    username = models.CharField(max_length=200)
    password_encrypted = models.TextField(editable=False)
    takedown_status = models.CharField(
        max_length=8,
        choices=TakedownStatus.choices,
        default=TakedownStatus.DRAFT,
        help_text="What a takedown sets the post to. A restoration publishes it again.",
    )
    original_url_meta_keys = models.CharField(
        max_length=500,
        default=DEFAULT_META_KEYS,
        blank=True,
        help_text="Post meta keys, comma-separated, where the importer keeps the original "
        "article's URL (shown to the REST API by deploy/wordpress/courtesy-original-url.php).",
    )
    map_by_source_link = models.BooleanField(
        default=True,
        help_text="Also read the original URL from a link in the post's content to one of "
        "our origins' sites (importers append a “Source” link).",
    )
    is_active = models.BooleanField(default=True)
    # Where takedowns and restorations are delivered to this site (kind "wordpress"): made
    # and kept in step with the site by compliance.wordpress.configuration.
    destination = models.OneToOneField(
        Destination, null=True, blank=True, on_delete=models.PROTECT, related_name="wordpress_site"
    )
    # Posts modified up to here have been read (WordPress's modified_gmt, UTC).
    synced_until = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "WordPress site"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def set_password(self, plain: str) -> None:
        self.password_encrypted = secret_encrypt(plain)

    def password(self) -> str:
        return secret_decrypt(self.password_encrypted)

    def meta_keys(self) -> list[str]:
        return [key.strip() for key in self.original_url_meta_keys.split(",") if key.strip()]


class WordPressPost(models.Model):
    site = models.ForeignKey(WordPressSite, on_delete=models.CASCADE, related_name="posts")
    post_id = models.PositiveBigIntegerField()
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="wordpress_posts"
    )
    title = models.CharField(max_length=500, blank=True)
    original_url = models.CharField(max_length=2000, blank=True)
    # Where readers see it when published (WordPress gives drafts a ?p= link instead).
    public_url = models.CharField(max_length=2000, blank=True)
    status = models.CharField(max_length=20, help_text="The post's status as last read.")
    modified_gmt = models.DateTimeField(null=True, blank=True)
    # Set when courtesy unpublished the post; a restoration publishes only such posts.
    unpublished_at = models.DateTimeField(null=True, blank=True)
    problem = models.TextField(blank=True, help_text="Why the post has no item, if it has none.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "WordPress post"
        constraints = [
            models.UniqueConstraint(fields=["site", "post_id"], name="wordpress_post_once")
        ]

    def __str__(self):
        return f"{self.site}: post {self.post_id}"
