# safekeep.scratch_dir set: table recovery and a drill restore their scratch
# copy there, and the copy (which inherits the setting) runs no launcher of
# its own -- a launcher in the copy used to remove the copy's own directory
# at start-up ("server closed the connection unexpectedly").  Afterwards the
# scratch directory is empty.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $scratch = PostgreSQL::Test::Utils::tempdir('scratch');
my ($node, $repo) = safekeep_node('primary', conf => "safekeep.scratch_dir = '$scratch'\n");
is($node->safe_psql('postgres', 'SHOW safekeep.scratch_dir'), $scratch,
	'safekeep.scratch_dir points at a private directory');

$node->safe_psql('postgres', q{
CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, 1000) i;
});
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "backup $label taken");
# A backup's stop time is rounded up by a second: a recovery to "now" needs
# a moment past it to find this backup.
sleep 2.5;
# Changes after the backup exist only in WAL: the recovery replays them.
$node->safe_psql('postgres', q{
INSERT INTO items SELECT i, 'late ' || i FROM generate_series(1001, 1200) i;
DELETE FROM items WHERE id % 10 = 0;
});
my $items_sql = q{SELECT count(*) || ':' || md5(string_agg(id || '|' || note, ',' ORDER BY id)) FROM %s};
my $items_now = $node->safe_psql('postgres', sprintf($items_sql, 'items'));
like($items_now, qr/^1080:/, 'items holds 1080 rows');

sub entries
{
	my ($dir) = @_;
	opendir(my $dh, $dir) or die "opendir $dir: $!";
	my @e = grep { $_ ne '.' && $_ ne '..' } readdir $dh;
	closedir $dh;
	return @e;
}

# Runs $sql in a psql of its own and, while it runs, looks at every scratch
# copy under $scratch: its postmaster's children (no launcher may be among
# them) and its configuration.  Returns (psql exit code, stdout, stderr,
# number of looks that found a running copy, children seen, confs seen).
sub run_watching_scratch
{
	my ($sql) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
			'-d', 'postgres', '-c', $sql ],
		'<', \undef, '>', \$out, '2>', \$err);
	my ($looks, %children, %confs) = (0);
	while ($h->pumpable)
	{
		for my $pidfile (glob("$scratch/*/pgdata/postmaster.pid"))
		{
			open(my $fh, '<', $pidfile) or next;
			my $pm = <$fh>;
			close $fh;
			next unless defined $pm && $pm =~ /^(\d+)$/;
			$pm = $1;
			my $ps = `ps -o pid=,cmd= --ppid $pm`;
			next unless $ps =~ /\S/;
			$looks++;
			$children{$_} = 1 for grep { /\S/ } split /\n/, $ps;
			(my $auto = $pidfile) =~ s/postmaster\.pid$/postgresql.auto.conf/;
			$confs{ slurp_file($auto) } = 1 if -f $auto;
		}
		$h->pump_nb;
		sleep 0.02;
	}
	$h->finish;
	return ($? >> 8, $out, $err, $looks, [ sort keys %children ], [ keys %confs ]);
}

# Asserts what the copy ran and that it is gone.
sub check_copy
{
	my ($what, $looks, $children, $confs) = @_;
	ok($looks > 0, "$what: the scratch copy was seen running under $scratch ($looks looks)");
	note("$what: processes of the scratch postmaster:\n" . join("\n", @$children));
	ok((grep { /checkpointer/ } @$children), "$what: its children were listed (checkpointer seen)");
	is_deeply([ grep { /postgres: pg_safekeep (launcher|job)/ } @$children ], [],
		"$what: the copy ran no pg_safekeep launcher or job");
	ok(@$confs && !grep({ !/^safekeep\.launcher\s*=\s*'?off'?\s*$/m } @$confs),
		"$what: the copy's postgresql.auto.conf turns the launcher off");
	is_deeply([ entries($scratch) ], [], "$what: the scratch directory is empty afterwards");
}

# --- table recovery ------------------------------------------------------------
my ($rc, $out, $err, $looks, $children, $confs) = run_watching_scratch(
	q{SELECT safekeep.recover_table('public.items', into_schema => 'restored')});
is($rc, 0, 'recover_table with scratch_dir set succeeds') or diag($err);
like($out, qr/recovered public\.items into restored\.items: 1080 rows/, 'it reports 1080 rows');
is($node->safe_psql('postgres', sprintf($items_sql, 'restored.items')),
	$items_now, 'the recovered table holds exactly the rows items has');
is( $node->safe_psql('postgres',
		q{SELECT status FROM safekeep.recovery_log WHERE recovery_type = 'table' ORDER BY id DESC LIMIT 1}),
	'completed', 'recovery_log: the table recovery completed');
check_copy('recover_table', $looks, $children, $confs);

# --- restore drill ---------------------------------------------------------------
($rc, $out, $err, $looks, $children, $confs) =
  run_watching_scratch(q{SELECT safekeep.test_backup_recovery()});
is($rc, 0, 'test_backup_recovery with scratch_dir set succeeds') or diag($err);
like($out, qr/drill of backup \Q$label\E passed/, 'the drill passes');
is( $node->safe_psql('postgres',
		qq{SELECT test_result, jsonb_array_length(checks->'row_count_mismatches')
  FROM safekeep.backup_test_log WHERE backup_label = '$label' ORDER BY id DESC LIMIT 1}),
	't|0', 'backup_test_log: passed, row counts match');
check_copy('drill', $looks, $children, $confs);

# The live cluster's own launcher kept running throughout.
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_safekeep launcher'}),
	'1', 'the live cluster still has its one launcher');
unlike(slurp_file($node->logfile), qr/server closed the connection unexpectedly/,
	'no lost connection in the server log');

$node->stop;
done_testing();
