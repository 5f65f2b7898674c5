"""BlockRule moves from takedowns to items, where the stay-down matcher that reads it lives
(ingest is in items, below takedowns). State only: the table is the same, renamed in 0004."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BLOCK_RULE = migrations.CreateModel(
    name="BlockRule",
    fields=[
        (
            "id",
            models.BigAutoField(
                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
            ),
        ),
        (
            "kind",
            models.CharField(
                choices=[
                    ("url", "Original URL (and its text)"),
                    ("author", "Author at origin"),
                    ("origin", "Whole origin"),
                ],
                max_length=8,
            ),
        ),
        ("domain", models.CharField(max_length=253)),
        (
            "url",
            models.CharField(blank=True, help_text="Normalised original URL.", max_length=2000),
        ),
        ("url_key", models.CharField(blank=True, db_index=True, max_length=64)),
        ("text_fingerprint", models.CharField(blank=True, db_index=True, max_length=64)),
        ("author", models.CharField(blank=True, max_length=300)),
        ("author_key", models.CharField(blank=True, max_length=300)),
        ("is_active", models.BooleanField(default=True)),
        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
        ("deactivated_at", models.DateTimeField(blank=True, null=True)),
        (
            "origin",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="block_rules",
                to="items.origin",
            ),
        ),
        (
            "request",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="block_rules",
                to="takedowns.removalrequest",
            ),
        ),
    ],
    options={
        "ordering": ["-created_at"],
        "db_table": "takedowns_blockrule",
        "indexes": [
            models.Index(
                fields=["domain", "kind", "author_key"], name="takedowns_b_domain_6eb054_idx"
            )
        ],
        "constraints": [
            models.UniqueConstraint(
                condition=models.Q(("request__isnull", False)),
                fields=("request", "kind", "domain", "url_key", "text_fingerprint", "author_key"),
                name="blockrule_unique_per_request",
            )
        ],
    },
)


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0002_initial"),
        ("takedowns", "0007_counter_notice_forward_message"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                BLOCK_RULE,
                migrations.AlterField(
                    model_name="item",
                    name="status_rule",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="items.blockrule",
                    ),
                ),
            ]
        )
    ]
