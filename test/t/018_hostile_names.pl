# Hostile names: every name a user chooses (restore points, backup labels,
# target directories, database names) from a table of hostile strings, at
# every entry point (SQL as a non-superuser safekeep_admin member, and the
# CLI).  Each one is refused with a clear error naming what is wrong, and
# nothing changes: catalog rows, the repository, files on disk, and an
# evil.conf that would leave a marker file is never read.  Legal names with
# quotes and backslashes round-trip through the configuration writer:
# PostgreSQL's own parser reads back exactly the name, and a table recovered
# to such a restore point holds the rows it had there.
use strict;
use File::Temp ();
use warnings;

use File::Path qw(rmtree);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('hostile', conf => "safekeep.drill_interval = 0\n");
my $tmp = PostgreSQL::Test::Utils::tempdir('hostile');

# The payload an injected include would run: restore_command runs as the
# postgres OS user, so the marker would prove it ran.
my $marker = "$tmp/INJECTED_MARKER";
# In a short private directory: the names that carry its path must stay legal
# (63 bytes at most) wherever the test tree lives.
my $evil = File::Temp::tempdir('/tmp/ske-XXXXXX', CLEANUP => 1) . '/evil.conf';
{
	open(my $fh, '>', $evil) or die "cannot write $evil: $!";
	print $fh "restore_command = 'touch $marker; false'\ncluster_name = 'INJECTED'\n";
	close($fh);
}

$node->safe_psql(
	'postgres', q{
CREATE TABLE items (id integer PRIMARY KEY, name text);
INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 300) i;
CREATE ROLE mallory LOGIN;
GRANT safekeep_admin TO mallory;
});
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "backup $label taken");
wait_jobs_idle($node);
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');

# --- the table of hostile strings ----------------------------------------------------
# [what, string, how a restore point name with it is judged]: 'ok' (legal:
# quotes, backslashes, shell characters are fine), else the error expected.
my $ctl = qr/invalid restore point name: it contains a control character \(0x[0-9a-f]{2} at byte \d+\)/;
my $long = qr/invalid restore point name: it is \d+ bytes long \(at most 63\)/;
my $attack = "\\'\ninclude = '$evil'\n#";
my @hostile = (
	[ 'the issue\'s attack', "\\'\ninclude = base/../../../../evil.conf\n#", $ctl ],
	[ 'the attack with an absolute include', $attack, $ctl ],
	[ 'a newline', "a\nb", $ctl ],
	[ 'a carriage return', "a\rb", $ctl ],
	[ 'CR LF and a setting', "x\r\ncluster_name = INJECTED", $ctl ],
	[ 'a newline and cluster_name', "x\ncluster_name = 'INJECTED'", $ctl ],
	[ 'a tab', "a\tb", $ctl ],
	[ 'a vertical tab', "a\x0bb", $ctl ],
	[ 'a form feed', "a\x0cb", $ctl ],
	[ 'an escape character', "a\x1b[31mb", $ctl ],
	[ 'a bell', "a\x07", $ctl ],
	[ 'SOH', "\x01", $ctl ],
	[ 'unit separator', "x\x1f", $ctl ],
	[ 'DEL', "x\x7fy", $ctl ],
	[ 'only a newline', "\n", $ctl ],
	[ 'a trailing newline', "name\n", $ctl ],
	[ '10 000 characters', 'x' x 10000, $long ],
	[ '10 000 backslashes', '\\' x 10000, $long ],
	[ '10 000 quotes', "'" x 10000, $long ],
	[ '64 bytes', 'y' x 64, $long ],
	[ '32 two-byte characters + 1', ("\x{e9}" x 32) . 'z', $long ],
	[ 'a backslash-quote', "\\'", 'ok' ],
	[ 'a lone backslash', '\\', 'ok' ],
	[ 'quotes and an include', "' include = '$evil", 'ok' ],
	[ 'backslash, quote, include, comment', "\\' include = 'evil.conf' #", 'ok' ],
	[ 'a relative path up', '../../../../evil.conf', 'ok' ],
	[ 'percent signs', '%p %f %r %%', 'ok' ],
	[ 'a command substitution', '$(touch /tmp/pwned)', 'ok' ],
	[ 'backticks', '`touch /tmp/pwned`', 'ok' ],
	[ 'a semicolon', 'x; touch /tmp/pwned', 'ok' ],
	[ 'SQL in the name', "x'); DROP TABLE items; --", 'ok' ],
	[ 'double quotes', '"quoted" "name"', 'ok' ],
	[ 'latin1-looking text (valid UTF-8)', "caf\x{e9} \x{ff}\x{fe}", 'ok' ],
	[ 'an equals sign and a hash', 'cluster_name = INJECTED # x', 'ok' ],
);
cmp_ok(scalar(@hostile), '>=', 30, 'at least 30 hostile strings');

# What must not change.
sub snapshot
{
	my $counts = $node->safe_psql(
		'postgres', q{
SELECT (SELECT count(*) FROM safekeep.restore_points) || '/' ||
       (SELECT count(*) FROM safekeep.backup_catalog) || '/' ||
       (SELECT count(*) FROM safekeep.jobs) || '/' ||
       (SELECT count(*) FROM safekeep.recovery_log) || '/' ||
       (SELECT count(*) FROM safekeep.audit_log) || '/' ||
       (SELECT count(*) FROM pg_namespace)});
	# WAL the archiver may ship meanwhile is not a change these calls make.
	my @repo = grep { !m{/archive/} } files_under($repo);
	my @disk = files_under($tmp);
	return join("\n", $counts, @repo, '--', @disk);
}

# psql as mallory, the string passed as a bound parameter (no quoting in the test).
sub call_as_mallory
{
	my ($sql, @params) = @_;
	my ($out, $err) = ('', '');
	my @args = ('psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
		'-U', 'mallory', '-d', 'postgres');
	my $i = 0;
	push @args, '-v', 'p' . ++$i . "=$_" for @params;
	IPC::Run::run(\@args, '<', \$sql, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

my $dir_n = 0;
for my $h (@hostile)
{
	my ($what, $s, $rp) = @$h;
	my $target = "$tmp/target_" . ++$dir_n;
	my $utf8 = $s;
	utf8::encode($utf8);
	my $before = snapshot();
	my ($rc, $out, $err);

	# Restore point names.
	if (ref $rp)
	{
		($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.create_restore_point(:'p1')}, $utf8);
		isnt($rc, 0, "$what: create_restore_point refuses it");
		like($err, $rp, "$what: create_restore_point says why");
		($rc, $out, $err) = call_as_mallory(
			q{SELECT safekeep.recover_table('public.items', restore_point => :'p1', into_schema => 'r')}, $utf8);
		isnt($rc, 0, "$what: recover_table(restore_point) refuses it");
		like($err, $rp, "$what: recover_table says why");
	}

	# Backup labels.
	my $bad_label = qr/invalid backup label .* for backup_label/;
	for my $call (
		[ 'verify_backup', q{SELECT * FROM safekeep.verify_backup(:'p1')} ],
		[ 'test_backup_recovery', q{SELECT safekeep.test_backup_recovery(:'p1')} ],
		[ 'recover_full_database', qq{SELECT safekeep.recover_full_database(:'p1', '$target')} ],
		[ 'point_in_time_recovery', qq{SELECT safekeep.point_in_time_recovery(now(), :'p1', '$target')} ],
		[ 'recover_table', q{SELECT safekeep.recover_table('public.items', backup_label => :'p1', into_schema => 'r')} ])
	{
		($rc, $out, $err) = call_as_mallory($call->[1], $utf8);
		isnt($rc, 0, "$what: $call->[0] refuses it as a label");
		like($err, $bad_label, "$what: $call->[0] names the bad label");
		my ($first) = split /\n/, $err;
		cmp_ok(length($first // ''), '<', 300, "$what: $call->[0]: the error does not echo a long value");
	}
	($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.restore_logical_backup(:'p1', 'postgres')}, $utf8);
	isnt($rc, 0, "$what: restore_logical_backup refuses it as a label");
	like($err, qr/invalid logical backup label .* for label/, "$what: restore_logical_backup says why");

	# Target directories and database names.
	($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.recover_full_database(target_dir => :'p1')}, $utf8);
	isnt($rc, 0, "$what: recover_full_database refuses it as target_dir");
	like($err,
		qr/invalid target_dir: (invalid target directory: it contains a control character|invalid target directory: it is \d+ bytes long|target directory .* is not an absolute path)/,
		"$what: the target_dir error says why");
	($rc, $out, $err) =
	  call_as_mallory(q{SELECT safekeep.restore_logical_backup('20990101-000000L', :'p1')}, $utf8);
	isnt($rc, 0, "$what: restore_logical_backup refuses it as target_database");
	like($err,
		qr/invalid target_database: it (contains a control character|is \d+ bytes long)|unknown backup "20990101-000000L"/,
		"$what: restore_logical_backup's error says why");

	# The CLI: --target-name and --set.
	my $pgdata = "$tmp/cli_$dir_n";
	my @restore = ('restore', "--repo1-path=$repo", "--stanza=$stanza", "--pgdata=$pgdata");
	($rc, $out, $err) = run_tool(@restore, "--set=$utf8");
	is($rc, 2, "$what: restore --set refuses it");
	like($err, qr/invalid backup label .* for --set/, "$what: --set says why");
	if (ref $rp)
	{
		($rc, $out, $err) = run_tool(@restore, "--target-name=$utf8");
		is($rc, 2, "$what: restore --target-name refuses it");
		like($err, qr/--target-name: $rp/, "$what: --target-name says why");
	}
	ok(!-e $pgdata, "$what: the CLI created nothing");
	ok(!-e $target, "$what: no target directory was created");
	is(snapshot(), $before, "$what: no catalog row, repository file or file on disk changed");

	# A legal restore point name is accepted and stored exactly.
	next if ref $rp;
	($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.create_restore_point(:'p1')}, $utf8);
	is($rc, 0, "$what: a legal restore point name is accepted") or diag($err);
	my $match = q{name = convert_from(decode('} . unpack('H*', $utf8) . q{', 'hex'), 'UTF8')};
	is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.restore_points WHERE $match"),
		'1', "$what: stored exactly");
	$node->safe_psql('postgres', "DELETE FROM safekeep.restore_points WHERE $match");
}
ok(!-e $marker, 'evil.conf never ran');

# --- the issue's exact attack, as mallory (not a superuser) ----------------------------
my $before;
my ($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.create_restore_point(:'p1')}, $attack);
isnt($rc, 0, 'mallory cannot create the attack restore point');
like($err, qr/invalid restore point name: it contains a control character \(0x0a at byte 3\)/,
	'the error names the newline and where it is');
# A row from before the fix (written behind the function's back) is refused too.
$node->safe_psql('postgres',
	q{INSERT INTO safekeep.restore_points (name, lsn, timeline) VALUES (convert_from(decode('}
	  . unpack('H*', $attack) . q{', 'hex'), 'UTF8'), pg_current_wal_lsn(), 1)});
$before = snapshot();
($rc, $out, $err) = call_as_mallory(
	q{SELECT safekeep.recover_table('public.items', restore_point => :'p1', into_schema => 'r')}, $attack);
isnt($rc, 0, 'recover_table to the injected restore point is refused');
like($err, qr/invalid restore point name: it contains a control character \(0x0a at byte 3\)/,
	'naming the newline');
is(snapshot(), $before, 'and nothing changed');

# Straight to the job, past the SQL checks: the core's writer refuses it, the
# scratch server never starts with it.
($rc, $out, $err) = call_as_mallory(
	qq{SELECT safekeep._queue_table_recovery(true, '$label', 'public', 'items', 'r', false, 'name', :'p1',
	    now()::text, extract(epoch FROM now())::float8, true)},
	$attack);
isnt($rc, 0, 'a table recovery queued directly with the name fails');
like($err, qr/invalid restore point name: it contains a control character \(0x0a at byte 3\)/,
	'with the core\'s error naming the newline');
is($node->safe_psql('postgres', q{SELECT to_regnamespace('r') IS NULL}), 't', 'no schema was created');
is(scalar(glob($node->data_dir . '/../pg_safekeep_scratch/*')), undef, 'no scratch copy is left behind');
ok(!-e $marker, 'evil.conf never ran');
$node->safe_psql('postgres', 'DELETE FROM safekeep.restore_points');

# --- invalid UTF-8 and NUL through the CLI's argv ------------------------------------------
for my $bytes ([ 'latin1 bytes', "caf\xe9" ], [ 'lone continuation bytes', "\x80\x81" ],
	[ 'an overlong 0xc0', "\xc0\xaf" ], [ 'bytes ff fe', "\xff\xfe" ])
{
	my $pgdata = "$tmp/cli_utf8";
	($rc, $out, $err) = run_tool('restore', "--repo1-path=$repo", "--stanza=$stanza", "--pgdata=$pgdata",
		"--target-name=$bytes->[1]");
	is($rc, 2, "$bytes->[0]: --target-name refuses it");
	like($err, qr/--target-name: invalid restore point name: it is not valid UTF-8/, "$bytes->[0]: says why");
	ok(!-e $pgdata, "$bytes->[0]: nothing created");
}

# --- legal names round-trip through PostgreSQL's own parser ------------------------------
# pg_safekeep restore writes the name; `postgres -C` reads it back with the
# server's configuration lexer.
my $n = 0;
for my $h (grep { !ref $_->[2] } @hostile)
{
	my ($what, $s) = @$h;
	my $utf8 = $s;
	utf8::encode($utf8);
	my $pgdata = "$tmp/roundtrip_" . ++$n;
	($rc, $out, $err) = run_tool('restore', "--repo1-path=$repo", "--stanza=$stanza", "--pgdata=$pgdata",
		"--target-name=$utf8");
	is($rc, 0, "$what: restore --target-name accepts it") or diag($err);
	my ($pout, $perr) = ('', '');
	IPC::Run::run([ 'postgres', '-D', $pgdata, '-C', 'recovery_target_name' ], '>', \$pout, '2>', \$perr);
	chomp $pout;
	is($pout, $utf8, "$what: PostgreSQL reads back exactly the name") or diag($perr);
	IPC::Run::run([ 'postgres', '-D', $pgdata, '-C', 'cluster_name' ], '>', \$pout, '2>', \$perr);
	unlike($pout, qr/INJECTED/, "$what: no setting was injected");
	rmtree($pgdata);
}
ok(!-e $marker, 'evil.conf never ran');

# --- a legal, hostile-looking restore point: table recovery and the CLI ------------------
my $rp_name = q{it's \' include = 'evil.conf' # \ "x" $(id)};
$node->safe_psql('postgres', q{UPDATE items SET name = name || ' v2' WHERE id <= 100});
($rc, $out, $err) = call_as_mallory(q{SELECT safekeep.create_restore_point(:'p1')}, $rp_name);
is($rc, 0, 'mallory creates a restore point with quotes and backslashes') or diag($err);
my $items_sql = q{SELECT count(*) || ':' || md5(string_agg(id || name, ',' ORDER BY id)) FROM %s};
my $items_at_rp = $node->safe_psql('postgres', sprintf($items_sql, 'items'));
$node->safe_psql('postgres', 'DELETE FROM items WHERE id % 2 = 0');
switch_and_wait($node);

($rc, $out, $err) = call_as_mallory(
	q{SELECT safekeep.recover_table('public.items', restore_point => :'p1', into_schema => 'at_rp')}, $rp_name);
is($rc, 0, 'recover_table to that restore point succeeds') or diag($err);
is($node->safe_psql('postgres', sprintf($items_sql, 'at_rp.items')),
	$items_at_rp, 'the table is back exactly as it was at the restore point');

my $copy = PostgreSQL::Test::Cluster->new('hostile_cli_copy');
($rc, $out, $err) = run_tool('restore', "--repo1-path=$repo", "--stanza=$stanza",
	'--pgdata=' . $copy->data_dir, "--target-name=$rp_name");
is($rc, 0, 'pg_safekeep restore --target-name with that name succeeds') or diag($err);
wait_promoted($copy);
is($copy->safe_psql('postgres', sprintf($items_sql, 'items')),
	$items_at_rp, 'the copy stopped at the restore point');
is($copy->safe_psql('postgres', 'SHOW recovery_target_name'), $rp_name, 'with the name read back exactly');
isnt($copy->safe_psql('postgres', 'SHOW cluster_name'), 'INJECTED', 'and nothing injected');
$copy->stop;
ok(!-e $marker, 'evil.conf never ran');

# --- a repository path with a double and a single quote ----------------------------------
# The path reaches backup_completed()'s JSON (backup_file): escaped, the backup
# completes and its catalog row names the manifest where it is.
my $qrepo = File::Temp::tempdir('/tmp/ske-XXXXXX', CLEANUP => 1) . q{/repo "q" 'x'};
mkdir $qrepo or die "cannot create $qrepo: $!";
(my $qrepo_sql = $qrepo) =~ s/'/''/g;
$node->safe_psql('postgres', "ALTER SYSTEM SET safekeep.repo1_path = '$qrepo_sql'");
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
$node->poll_query_until('postgres', "SELECT current_setting('safekeep.repo1_path') = '$qrepo_sql'")
  or die 'safekeep.repo1_path never showed the quoted path';
switch_and_wait($node);
my $qlabel = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($qlabel, qr/^\d{8}-\d{6}F$/, "backup $qlabel into a repository path with quotes");
is(job_status_of($node, $qlabel), 'succeeded', 'its job succeeded');
my ($qstatus, $qfile) = split(/\|/, $node->safe_psql('postgres',
	"SELECT status, backup_file FROM safekeep.backup_catalog WHERE label = '$qlabel'"));
is($qstatus, 'completed', 'its catalog row says completed');
is(substr($qfile, 0, length($qrepo) + 1), "$qrepo/", 'backup_file lies in the quoted repository path');
ok(-f $qfile, 'and names the manifest that is there');

$node->stop;
done_testing();
