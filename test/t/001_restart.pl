# Crash and restart: an immediate stop under load loses nothing committed and
# leaves no half-done call.
#
# Load: pgbench clients grant and revoke one domain for their own role over
# and over, each call one transaction.  After "pg_ctl stop -m immediate"
# (no shutdown checkpoint, as after a power cut) and a restart, every role
# must hold either the whole domain or none of it, a transaction left open
# at the crash must have left nothing, and everything committed before the
# load must still be there.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('restart');
$node->init;
$node->append_conf('postgresql.conf', "max_connections = 40\n");
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION experiments;
    -- probe routines registered like domain routines, so grants have content
    CREATE FUNCTION experiments.tap_probe_read() RETURNS int LANGUAGE sql AS 'SELECT 1';
    CREATE FUNCTION experiments.tap_probe_write() RETURNS int LANGUAGE sql AS 'SELECT 2';
    REVOKE ALL ON FUNCTION experiments.tap_probe_read(), experiments.tap_probe_write() FROM PUBLIC;
    INSERT INTO experiments.api_routines VALUES
        ('experiments.tap_probe_read()',  'quota', false),
        ('experiments.tap_probe_write()', 'quota', true);
    CREATE ROLE tap_committed LOGIN;
    CREATE ROLE tap_inflight LOGIN;
    SELECT count(*) FROM experiments.grant_access('tap_committed', ARRAY['quota']);
});
for my $i (1 .. 4)
{
    $node->safe_psql('postgres', "CREATE ROLE tap_load_$i LOGIN");
}

my $commits_before = $node->safe_psql('postgres',
    "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'");

# A transaction that is still open when the server dies.
my $open = $node->background_psql('postgres');
$open->query_safe(q{BEGIN; SELECT count(*) FROM experiments.grant_access('tap_inflight', ARRAY['quota'])});

# Load: four clients flip their own role's grants for 20 seconds at most;
# the server is stopped under them after a few seconds.
my @load;
for my $i (1 .. 4)
{
    my $script = "$PostgreSQL::Test::Utils::tmp_check/flip_$i.sql";
    open(my $fh, '>', $script) or die "could not write $script: $!";
    print $fh "SELECT count(*) FROM experiments.grant_access('tap_load_$i', ARRAY['quota']);\n";
    print $fh "SELECT count(*) FROM experiments.revoke_access('tap_load_$i', ARRAY['quota']);\n";
    close $fh;
    my ($out, $err) = ('', '');
    push @load, IPC::Run::start(
        [ 'pgbench', '-n', '-T', '20', '-c', '1', '-f', $script,
          '-h', $node->host, '-p', $node->port, 'postgres' ],
        '>', \$out, '2>', \$err);
}
# Wait until the load has committed a good number of calls, then crash.
ok($node->poll_query_until('postgres',
    "SELECT xact_commit - $commits_before > 200 FROM pg_stat_database WHERE datname = 'postgres'"),
    'load is running when the server is stopped');
$node->stop('immediate');
$_->finish for @load;    # clients see the connection drop; that is expected
$open->{run}->kill_kill;

$node->start;

my $version = $node->safe_psql('postgres',
    'SELECT library_version, extension_version, versions_match FROM experiments.version()');
is($version, '1.0|1.0|t', 'extension answers after crash recovery');

# What each role holds: the quota routines it may execute, and whether it has
# its own USAGE on the schema.
sub holdings
{
    my ($role) = @_;
    return $node->safe_psql('postgres', qq{
        SELECT count(*) FILTER (WHERE has_function_privilege('$role', to_regprocedure(routine), 'EXECUTE'))
          FROM experiments.api_routines
         WHERE domain = 'quota' AND routine LIKE 'experiments.tap_probe%'});
}

is(holdings('tap_committed'), '2', 'grant committed before the crash survived');
is(holdings('tap_inflight'), '0', 'grant of a transaction open at the crash left nothing');

for my $i (1 .. 4)
{
    my $held = holdings("tap_load_$i");
    ok($held eq '0' || $held eq '2', "role under load holds all or nothing of the domain (holds $held of 2)");
}

# The registry lock is free again: a grant after recovery goes through.
$node->safe_psql('postgres',
    "SELECT count(*) FROM experiments.grant_access('tap_inflight', ARRAY['quota'])");
is(holdings('tap_inflight'), '2', 'grant_access works after recovery');

# Calls as the granted role work; the tables stay closed to it.
my ($rc, $stdout, $stderr) = $node->psql('postgres',
    'SELECT experiments.tap_probe_write()', extra_params => [ '-U', 'tap_committed' ]);
is($stdout, '2', 'granted role calls its routine after recovery');
($rc, $stdout, $stderr) = $node->psql('postgres',
    'SELECT count(*) FROM experiments.api_routines', extra_params => [ '-U', 'tap_committed' ]);
like($stderr, qr/permission denied/, 'granted role still cannot read the tables');

# A clean restart keeps everything too.
$node->restart;
is(holdings('tap_committed'), '2', 'grants survive a clean restart');

$node->stop;
done_testing();
