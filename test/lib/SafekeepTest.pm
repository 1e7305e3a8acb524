# Helpers shared by the TAP tests: a node with pg_safekeep configured, WAL
# archival waits, repository lookups and running the pg_safekeep tool.
package SafekeepTest;

use strict;
use warnings;

use Cwd 'abs_path';
use Exporter 'import';
use File::Basename 'dirname';
use File::Find;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  safekeep_node wait_for_archive switch_and_wait archived_objects
  backup_dirs run_tool tool_info wait_promoted data_fingerprint
  flip_bytes files_under job_status_of wait_jobs_idle start_s3rver
  set_safekeep_conf secret_file encrypted_s3_repo repo_conf repo_tool_options
  psql_refused
);

# A started node with the library preloaded, archiving into a fresh repository
# (or into $opts{repo}), and the extension created.  $opts{conf} adds lines.
# Returns ($node, $repo).
sub safekeep_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(has_archiving => 0, extra => ['--data-checksums']);
	my $repo = $opts{repo} // PostgreSQL::Test::Utils::tempdir("repo_$name");

	# init() sets wal_level = minimal without streaming; archiving and
	# pg_backup_start need replica.
	$node->append_conf(
		'postgresql.conf', qq{
wal_level = replica
shared_preload_libraries = 'pg_safekeep'
archive_mode = on
archive_library = 'pg_safekeep'
safekeep.repo1_path = '$repo'
safekeep.start_fast = on
safekeep.parallel = 2
# The seeded schedules would start backups at whatever moment a run crosses
# their times; tests that want the scheduler turn it on in conf.
safekeep.scheduler = off
} . ($opts{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pg_safekeep');
	return ($node, $repo);
}

# Waits until the archiver has archived $segment (or a later file).
sub wait_for_archive
{
	my ($node, $segment) = @_;
	$node->poll_query_until('postgres',
		"SELECT coalesce(last_archived_wal COLLATE \"C\" >= '$segment', false) FROM pg_stat_archiver"
	) or die "timed out waiting for $segment to be archived";
	return;
}

# Final status of the job that made backup $label (waits while it is running).
sub job_status_of
{
	my ($node, $label) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 AND bool_and(status NOT IN ('queued', 'running')) FROM safekeep.jobs WHERE label = '$label'"
	) or return 'unfinished';
	return $node->safe_psql('postgres',
		"SELECT status || coalesce(': ' || error_message, '') FROM safekeep.jobs WHERE label = '$label'");
}

# Waits until no job worker is left: a backup's caller gets its label before
# the verification and retention that follow it in the same worker.
sub wait_jobs_idle
{
	my ($node) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_safekeep job worker'"
	) or die "timed out waiting for the job workers to finish";
	return;
}

# ALTER SYSTEM SET safekeep.$name = $value (undef: RESET), reload, and wait
# until the server shows it (values in the setting's base unit; a reset goes
# back to the built-in default).
sub set_safekeep_conf
{
	my ($node, $name, $value) = @_;
	$node->safe_psql('postgres',
		defined $value
		? "ALTER SYSTEM SET safekeep.$name = '$value'"
		: "ALTER SYSTEM RESET safekeep.$name");
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	my $want = defined $value ? "'$value'" : 'boot_val';
	$node->poll_query_until('postgres',
		"SELECT setting = $want FROM pg_settings WHERE name = 'safekeep.$name'")
	  or die "safekeep.$name never showed the new value";
	return;
}

# Closes the current WAL segment and waits until it is archived; returns its name.
sub switch_and_wait
{
	my ($node) = @_;
	# Something to switch away from, so the switch really closes a segment.
	$node->safe_psql('postgres', 'SELECT txid_current()');
	my $seg = $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
	wait_for_archive($node, $seg);
	return $seg;
}

# Repository objects holding WAL file $name (archive/<16 chars>/<name>-<sha>.zst).
sub archived_objects
{
	my ($repo, $name) = @_;
	my $dir = substr($name, 0, 16);
	return grep { -f $_ } glob("$repo/*/archive/$dir/$name-*");
}

# backup/<label> directories of the repository, for one label or all of them.
sub backup_dirs
{
	my ($repo, $label) = @_;
	return grep { -d $_ } glob("$repo/*/backup/" . ($label // '*'));
}

# Every regular file under $dir.
sub files_under
{
	my ($dir) = @_;
	my @files;
	find({ wanted => sub { push @files, $File::Find::name if -f $_ }, no_chdir => 1 },
		$dir);
	# Through an array: sort in scalar context is undefined.
	my @sorted = sort @files;
	return @sorted;
}

# Starts s3rver (test/s3) over TLS with the bucket pgbackups, its certificate
# in $tls and its objects in $data, on $port (0: any); returns (handle, url).
sub start_s3rver
{
	my ($tls, $port, $data) = @_;
	my $s3dir = abs_path(dirname(__FILE__) . '/../s3');
	local $ENV{S3RVER_BUCKETS} = 'pgbackups';
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ 'bash', "$s3dir/start_s3rver.sh", '--tls', $tls, $port, $data ],
		'<', \undef, '>', \$out, '2>', \$err);
	for (1 .. 300)
	{
		last if $out =~ /s3rver ready: (\S+)/;
		$h->pump_nb;
		select(undef, undef, undef, 0.1);
	}
	$out =~ /s3rver ready: (\S+)/ or die "s3rver did not start: $err";
	return ($h, $1);
}

# Writes $text to $dir/$name, readable by its owner only (passphrases, S3
# credentials, SMTP passwords: secrets live in files); returns the path.
sub secret_file
{
	my ($dir, $name, $text) = @_;
	my $path = "$dir/$name";
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
	chmod 0600, $path or die "$path: $!";
	return $path;
}

# The settings of an encrypted repository in the test S3 server's bucket, as
# tool-option names (s3-endpoint, ...): for repo_conf and repo_tool_options.
sub encrypted_s3_repo
{
	my ($url, $tls, $creds) = @_;
	return {
		'type' => 's3',
		's3-endpoint' => $url,
		's3-bucket' => 'pgbackups',
		's3-prefix' => 'cluster',
		's3-ca-file' => "$tls/cert.pem",
		's3-credentials-file' => $creds,
		'cipher' => 'aes-256-gcm'
	};
}

# postgresql.conf lines setting repository $n to $settings.
sub repo_conf
{
	my ($n, $settings) = @_;
	return join('',
		map { my $k = $_ =~ s/-/_/gr; "safekeep.repo${n}_$k = '$settings->{$_}'\n" }
		  sort keys %$settings);
}

# The same as pg_safekeep options (--repoN-...).
sub repo_tool_options
{
	my ($n, $settings) = @_;
	return map { "--repo$n-$_=$settings->{$_}" } sort keys %$settings;
}

# Runs $sql on $node expecting an error (one assertion); returns stderr.
sub psql_refused
{
	my ($node, $sql, $what) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	isnt($rc, 0, "refused: $what");
	return $err;
}

# Runs the pg_safekeep tool; returns (exit status, stdout, stderr).
sub run_tool
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_safekeep', @args ], '<', \undef, '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	note("pg_safekeep @args => $rc\nstdout: $out\nstderr: $err");
	return ($rc, $out, $err);
}

# `pg_safekeep info --output=json`, decoded.
sub tool_info
{
	my ($repo) = @_;
	my ($rc, $out, $err) = run_tool('info', "--repo1-path=$repo", '--output=json');
	die "pg_safekeep info failed: $err" if $rc != 0;
	return decode_json($out);
}

# Points a restored copy at its own port and socket, keeps it from archiving
# into the primary's repository, starts it and waits for promotion.
sub wait_promoted
{
	my ($node) = @_;
	my $port = $node->port;
	my $host = $node->host;
	$node->append_conf(
		'postgresql.conf', qq{
port = $port
unix_socket_directories = '$host'
listen_addresses = ''
archive_mode = off
});
	$node->start;
	$node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
	  or die "restored node " . $node->name . " did not promote";
	return;
}

# One text that changes when any pgbench table changes: sums, counts and an
# md5 over every account balance.
sub data_fingerprint
{
	my ($node) = @_;
	my $sql = q{
SELECT (SELECT sum(abalance) || ':' || count(*) FROM pgbench_accounts) || '/' ||
       (SELECT md5(string_agg(aid || ':' || abalance, ',' ORDER BY aid)) FROM pgbench_accounts) || '/' ||
       (SELECT sum(bbalance) FROM pgbench_branches) || '/' ||
       (SELECT sum(tbalance) FROM pgbench_tellers) || '/' ||
       (SELECT count(*) FROM pgbench_history)};
	return $node->safe_psql('postgres', $sql);
}

# Overwrites $len bytes in the middle of $file with their complement.
sub flip_bytes
{
	my ($file, $len) = @_;
	$len //= 16;
	my $size = -s $file;
	die "$file is too small to corrupt" if $size < 2;
	$len = int($size / 2) if $len > $size / 2;
	open my $fh, '+<:raw', $file or die "open $file: $!";
	my $pos = int($size / 2);
	seek $fh, $pos, 0;
	my $buf;
	read $fh, $buf, $len;
	seek $fh, $pos, 0;
	print $fh ($buf ^ ("\xff" x length $buf));
	close $fh or die "close $file: $!";
	return;
}

1;
