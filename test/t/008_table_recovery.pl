# Table-level recovery: a dropped table comes back with every row it had at
# the moment of the DROP (found from safekeep.ddl_history), a table whose rows
# were deleted comes back as of an explicit time and as of a named restore
# point, hostile names are quoted, and every refusal changes nothing.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my ($node, $repo) = safekeep_node('tables', conf => "safekeep.drill_interval = 0\n");
$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i -s 2');

# An ordinary table with what a DBA would expect to come back (primary key,
# index, check constraint, serial) and what makes no sense alone (a foreign
# key to another table, a trigger).
$node->safe_psql(
	'postgres', q{
CREATE TABLE orders (
    id serial PRIMARY KEY,
    bid integer NOT NULL REFERENCES pgbench_branches (bid),
    amount numeric NOT NULL CHECK (amount >= 0),
    note text);
CREATE INDEX orders_amount_idx ON orders (amount);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO orders (bid, amount, note)
SELECT 1 + i % 2, i * 1.5, 'order ' || i FROM generate_series(1, 1000) i;
CREATE TABLE items (id integer PRIMARY KEY, name text);
INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 300) i;
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."we'ird ""name""" (k integer PRIMARY KEY, v text);
INSERT INTO "Odd Schema"."we'ird ""name""" SELECT i, md5(i::text) FROM generate_series(1, 50) i;
});

# Load during the backup and during the drop.
my ($load_out, $load_err) = ('', '');
my $load = IPC::Run::start(
	[ 'pgbench', '-n', '-c', 2, '-j', 2, '-T', 25, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$load_out, '2>', \$load_err);

my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "backup $label taken under load");

# Rows written after the backup exist only in WAL.
$node->safe_psql('postgres',
	q{INSERT INTO orders (bid, amount, note) SELECT 1, i, 'late ' || i FROM generate_series(1, 500) i});
my $orders_sql = q{SELECT count(*) || ':' || md5(string_agg(id || '|' || bid || '|' || amount || '|' || note, ',' ORDER BY id)) FROM %s};
my $orders_at_drop = $node->safe_psql('postgres', sprintf($orders_sql, 'orders'));
like($orders_at_drop, qr/^1500:/, 'orders holds 1500 rows before the drop');

$node->safe_psql('postgres', 'DROP TABLE orders');
is( $node->safe_psql('postgres',
		q{SELECT command, schema_name, object_name FROM safekeep.ddl_history ORDER BY id DESC LIMIT 1}),
	'DROP TABLE|public|orders',
	'ddl_history recorded the drop');

# --- a dropped table, no target given ----------------------------------------
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT safekeep.recover_table('public.orders')});
is($rc, 0, 'recover_table of the dropped table succeeds') or diag($err);
like($out, qr/recovered public\.orders into safekeep_restored\.orders: 1500 rows/,
	'it reports the rows it brought back');
is($node->safe_psql('postgres', sprintf($orders_sql, 'safekeep_restored.orders')),
	$orders_at_drop, 'the recovered table holds exactly the rows orders had at the drop');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(contype::text, '' ORDER BY contype) FROM pg_constraint
 WHERE conrelid = 'safekeep_restored.orders'::regclass}),
	'cp', 'primary key and check constraint came back, the foreign key did not');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'safekeep_restored.orders'::regclass AND attnum > 0 AND attnotnull}),
	'3', 'and the NOT NULL columns');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_indexes WHERE schemaname = 'safekeep_restored' AND tablename = 'orders'}),
	'2', 'both indexes came back');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'safekeep_restored.orders'::regclass AND NOT tgisinternal}),
	'0', 'the trigger did not');
ok( $node->safe_psql('postgres',
		q{INSERT INTO safekeep_restored.orders (bid, amount) VALUES (1, 1) RETURNING id}) > 1500,
	'the serial column continues after the recovered rows');
is( $node->safe_psql(
		'postgres', q{
SELECT recovery_type, status, table_name, (details->>'rows')::int, (details->>'rto_seconds')::numeric > 0
FROM safekeep.recovery_log WHERE recovery_type = 'table' ORDER BY id DESC LIMIT 1}),
	'table|completed|public.orders|1500|t',
	'recovery_log has a completed table row with its RTO');
note('table recovery RTO: '
	  . $node->safe_psql('postgres',
		q{SELECT details->>'rto_seconds' FROM safekeep.recovery_log WHERE recovery_type = 'table' ORDER BY id DESC LIMIT 1}));

# --- refusals: each names the problem and changes nothing ---------------------
sub refused
{
	my ($sql, $pattern, $name) = @_;
	my $schemas_before = $node->safe_psql('postgres', 'SELECT count(*) FROM pg_namespace');
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	isnt($rc, 0, "$name: refused");
	like($err, $pattern, "$name: the error says why");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_namespace'),
		$schemas_before, "$name: nothing was created");
	return;
}

refused(q{SELECT safekeep.recover_table('public.orders')},
	qr/table safekeep_restored\.orders already exists/, 'an existing table in into_schema');
refused(q{SELECT safekeep.recover_table('public.never_was')},
	qr/does not exist and safekeep.ddl_history has no record/, 'an unknown table');
refused(q{SELECT safekeep.recover_table('public.items', target_time => now() + interval '1 hour', into_schema => 'x1')},
	qr/in the future/, 'a future target');
refused(q{SELECT safekeep.recover_table('public.items', target_time => '2001-01-01', into_schema => 'x2')},
	qr/no backup ends before/, 'a target before every backup');
refused(q{SELECT safekeep.recover_table('public.items', restore_point => 'no_such_point', into_schema => 'x3')},
	qr/restore point "no_such_point" is not in safekeep.restore_points/, 'an unknown restore point');
refused(q{SELECT safekeep.recover_table('a.b.c.d')},
	qr/too many parts/, 'a name with too many parts');
refused(q{SELECT safekeep.recover_table('public.items', into_schema => 'pg_catalog')},
	qr/reserved/, 'a system schema as into_schema');

# A table created after the backup did not exist at a target before it.
# A target after the backup ended (stop times are whole seconds, rounded up)
# but before born_late was created.
$node->poll_query_until('postgres',
	qq{SELECT clock_timestamp() > completed_at + interval '3 seconds' FROM safekeep.backup_catalog WHERE label = '$label'})
  or die 'the clock did not move';
my $before_born = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$node->safe_psql('postgres', 'CREATE TABLE born_late (x integer); INSERT INTO born_late VALUES (1)');
($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.recover_table('public.born_late', target_time => '$before_born', into_schema => 'late_check')});
isnt($rc, 0, 'a table that did not exist at the target: refused');
like($err, qr/table public\.born_late did not exist at the recovery target/, 'the error says so');
is($node->safe_psql('postgres', q{SELECT to_regnamespace('late_check') IS NULL}),
	't', 'and nothing was created');
is( $node->safe_psql('postgres',
		q{SELECT status FROM safekeep.recovery_log WHERE recovery_type = 'table' ORDER BY id DESC LIMIT 1}),
	'failed', 'the failed recovery is logged as failed');
is(scalar(glob($node->data_dir . '/../pg_safekeep_scratch/*')), undef, 'no scratch copy is left behind');

# replace => true overwrites the earlier recovered table.
$node->safe_psql('postgres', 'INSERT INTO safekeep_restored.orders (bid, amount) VALUES (1, 99)');
$node->safe_psql('postgres', q{SELECT safekeep.recover_table('public.orders', replace => true)});
is($node->safe_psql('postgres', sprintf($orders_sql, 'safekeep_restored.orders')),
	$orders_at_drop, 'replace => true brings back the rows as at the drop again');

# --- rows deleted: an explicit time, and a named restore point ---------------
my $items_sql = q{SELECT count(*) || ':' || md5(string_agg(id || name, ',' ORDER BY id)) FROM %s};
$node->safe_psql('postgres', q{UPDATE items SET name = name || ' v2' WHERE id <= 100});
my $items_at_t = $node->safe_psql('postgres', sprintf($items_sql, 'items'));
my $T = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
sleep 1.1;
$node->safe_psql('postgres', 'DELETE FROM items WHERE id % 3 = 0');

$node->safe_psql('postgres', q{SELECT safekeep.create_restore_point('before_cleanup')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM safekeep.restore_points WHERE name = 'before_cleanup'}),
	'1', 'create_restore_point records the point');
my $items_at_rp = $node->safe_psql('postgres', sprintf($items_sql, 'items'));
$node->safe_psql('postgres', 'DELETE FROM items WHERE id > 10');
refused(q{SELECT safekeep.create_restore_point('before_cleanup')},
	qr/restore point "before_cleanup" already exists/, 'a duplicate restore point name');

($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.recover_table('items', target_time => '$T', into_schema => 'at_t')});
is($rc, 0, 'recover_table with an explicit time succeeds') or diag($err);
is($node->safe_psql('postgres', sprintf($items_sql, 'at_t.items')),
	$items_at_t, 'items is back as it was at the time');

($rc, $out, $err) = $node->psql('postgres',
	q{SELECT safekeep.recover_table('public.items', restore_point => 'before_cleanup', into_schema => 'at_rp')});
is($rc, 0, 'recover_table to a named restore point succeeds') or diag($err);
is($node->safe_psql('postgres', sprintf($items_sql, 'at_rp.items')),
	$items_at_rp, 'items is back as it was at the restore point');

# --- hostile names are quoted everywhere -------------------------------------
my $odd_sql = q{SELECT count(*) || ':' || md5(string_agg(k || v, ',' ORDER BY k)) FROM %s};
my $odd_before = $node->safe_psql('postgres', sprintf($odd_sql, q{"Odd Schema"."we'ird ""name"""}));
$node->safe_psql('postgres', q{DROP TABLE "Odd Schema"."we'ird ""name"""});
my $into = q{x"; DROP TABLE pgbench_branches; --};
($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT safekeep.recover_table('"Odd Schema"."we''ird ""name"""', into_schema => 'x"; DROP TABLE pgbench_branches; --')});
is($rc, 0, 'a table with quotes and spaces in its names is recovered') or diag($err);
is( $node->safe_psql('postgres', sprintf($odd_sql, q{"x""; DROP TABLE pgbench_branches; --"."we'ird ""name"""})),
	$odd_before, 'into a schema whose name is taken literally, with every row');
is($node->safe_psql('postgres', q{SELECT to_regclass('pgbench_branches') IS NOT NULL}),
	't', 'nothing in the names was executed');

ok($load->finish, 'pgbench load succeeded throughout') or diag($load_err);
$node->stop;
done_testing();
