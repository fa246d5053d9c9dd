import click


@click.group("export", help="Exports: monthly closure rates, quarterly assessment.")
def export_cli():
    pass
