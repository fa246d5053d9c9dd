import click


@click.command("import", help="Import a platform export or an office ledger (XLSX/CSV).")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    raise click.ClickException("import is not implemented yet")
