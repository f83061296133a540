from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_client_record')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Connection',
            index=Index(fields=['staff_id', 'current_key']),
        ),
        ops.AddIndex(
            model_name='Connection',
            index=Index(fields=['client_id', 'current_key']),
        ),
        ops.AddIndex(
            model_name='Connection',
            index=Index(fields=['healthspace_id']),
        ),
        ops.AddIndex(
            model_name='Invitation',
            index=Index(fields=['healthspace_id', 'status', 'expires_at']),
        ),
        ops.AddIndex(
            model_name='JoinRequest',
            index=Index(fields=['healthspace_id', 'status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['healthspace_id', 'kind', 'status']),
        ),
    ]
