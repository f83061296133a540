from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_search_columns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RateLimitHit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rate_limit_hit', 'app': 'models', 'indexes': [Index(fields=['key', 'at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
