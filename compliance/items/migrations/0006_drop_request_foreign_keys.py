"""The foreign keys to takedowns go: rules and items name their request by case; an
origin's block is its active origin rule."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("items", "0005_fill_cases_and_origin_rules")]

    operations = [
        migrations.RemoveConstraint(model_name="blockrule", name="blockrule_unique_per_request"),
        migrations.RemoveField(model_name="blockrule", name="request"),
        migrations.AddConstraint(
            model_name="blockrule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case", ""), _negated=True),
                fields=("case", "kind", "domain", "url_key", "text_fingerprint", "author_key"),
                name="blockrule_unique_per_case",
            ),
        ),
        migrations.RemoveField(model_name="item", name="status_request"),
        migrations.RemoveField(model_name="origin", name="blocked_at"),
        migrations.RemoveField(model_name="origin", name="blocked_by_request"),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                condition=models.Q(("article_host", ""), _negated=True),
                fields=["article_host"],
                name="item_article_host",
            ),
        ),
    ]
