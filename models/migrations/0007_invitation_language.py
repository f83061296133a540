from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0006_read_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invitation',
            name='language',
            field=fields.CharField(default='en', max_length=2),
        ),
    ]
