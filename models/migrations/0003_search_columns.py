from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from models.search import search_column

# Each table's search column and the columns it is made of, in the order of `search_parts`.
SEARCHED = {
    "account": ("last_name", "first_name"),
    "healthspace": ("name",),
    "member": ("identification_number",),
}


async def fill_search_columns(apps, schema_editor) -> None:
    """Rows that exist already get their search text (new and saved rows keep it up to date)."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for table, columns in SEARCHED.items():
        selected = ", ".join(f'"{column}"' for column in columns)
        rows = await client.execute_query_dict(f'SELECT "id", {selected} FROM "{table}"')
        update = (
            f'UPDATE "{table}" SET "search_text" = $1 WHERE "id" = $2'
            if postgres
            else f'UPDATE "{table}" SET "search_text" = ? WHERE "id" = ?'
        )
        for row in rows:
            text = search_column(*(row[c] for c in columns))
            await client.execute_query(update, [text, row["id"]])


class Migration(migrations.Migration):
    dependencies = [('models', '0002_outbox_due_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='search_text',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Healthspace',
            name='search_text',
            field=fields.CharField(default='', max_length=250),
        ),
        ops.AddField(
            model_name='Member',
            name='search_text',
            field=fields.CharField(default='', max_length=60),
        ),
        ops.RunPython(fill_search_columns, ops.RunPython.noop),
    ]
