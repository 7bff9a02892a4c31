import * as z from 'zod';

/**
 * The cluster configuration: one file describes every PostgreSQL cluster the control plane watches.
 * Everything that is generated (alarms, dashboards, IAM scopes) and everything the functions do is
 * derived from this one description.
 */

/**
 * Cluster, node and subscriber names. They become metric dimensions, alarm names and logical ids,
 * and requests name them: no quotes, spaces or other characters that would need escaping anywhere.
 */
export const nameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'a name of letters, digits, "_" or "-" starting with a letter (max 63)');
const name = nameSchema;
/** An AWS region name. */
export const regionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1');
const region = regionSchema;
/** An SSM parameter name (a path: the configuration and the application helper name parameters this way). */
export const ssmNameSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'an SSM parameter name starting with "/"');
const ssmName = ssmNameSchema;
const arn = (service: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]*:\\d{12}:.+$`), `an ARN of ${service} such as arn:aws:${service}:us-east-1:123456789012:...`);
const port = z.number().int().min(1).max(65535);
/** An absolute path on a database host (it is substituted into a shell command: no quotes or spaces). */
const hostPath = z.string().regex(/^\/[A-Za-z0-9_./-]{1,250}$/, 'an absolute path of letters, digits, "_", ".", "-" and "/"');
/**
 * A user or database name: the connection startup packet carries it as a NUL-terminated string, so
 * a NUL byte would end it there and let the rest pass as extra startup parameters (options=...).
 */
// eslint-disable-next-line no-control-regex -- the NUL byte is the character this pattern exists to refuse
const loginName = z.string().min(1).max(63).regex(/^[^\u0000]+$/, 'a name without NUL bytes');

/** A database login whose password lives in an SSM SecureString, never in this file. */
export const credentialSchema = z.strictObject({
  user: loginName,
  /** Name of the SSM SecureString holding the password (read in the control-plane region). */
  passwordParameter: ssmName,
});

export const nodeRoles = ['primary', 'sync-standby', 'async-standby'] as const;

const hostName = z.string().min(1).max(253);

/** The sslmode values the control plane honours, with libpq's meaning. */
export const sslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/**
 * TLS towards one PostgreSQL endpoint, as libpq's sslmode: `require` encrypts without checking the
 * certificate, `verify-ca` checks it against the CA bundle, `verify-full` also checks its name.
 * With neither caFile nor caParameter, verification uses Node's built-in public roots.
 */
export const tlsSchema = z.strictObject({
  /** libpq's sslmode (no "prefer": a silent fall-back to plain text proves nothing). @default disable */
  sslmode: z.enum(sslModes).default('disable'),
  /** PEM CA bundle packaged with the functions, relative to the service root (packaged automatically). */
  caFile: z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_./-]{0,1023}$/, 'a relative path inside the service').optional(),
  /** SSM parameter (String or SecureString, read in the control region) holding the PEM CA bundle. */
  caParameter: ssmName.optional(),
  /** Name the certificate must carry under verify-full when `host` is an address. @default the host */
  serverName: hostName.optional(),
});

export const nodeSchema = z.strictObject({
  name,
  /** The role the node is deployed in; the monitor always checks the actual role. */
  role: z.enum(nodeRoles),
  region,
  az: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as us-east-1a'),
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id such as i-0abc12345678def90'),
  /** Address the control plane connects to. */
  host: hostName,
  port,
  /** DNS name published in the cluster record when this node is the writer. */
  dnsName: hostName,
  /** Host written into DATABASE_URL when this node becomes the writer (the name its certificate
   * carries, or the address clients use, when that is not `host`). @default host */
  clientHost: hostName.optional(),
  /** Port written into DATABASE_URL with clientHost. @default port */
  clientPort: port.optional(),
  /** TLS for the control plane's sessions to this node. @default the cluster's tls */
  tls: tlsSchema.optional(),
  /** Where PostgreSQL lives on the node's host: what `pgfo rejoin` passes to the rejoin document. */
  postgres: z
    .strictObject({
      /** Data directory. @default /var/lib/postgresql/15/main */
      dataDirectory: hostPath.default('/var/lib/postgresql/15/main'),
      /** Folder of the server binaries (pg_ctl, pg_rewind, pg_basebackup, pg_waldump, psql). @default /usr/lib/postgresql/15/bin */
      binDirectory: hostPath.default('/usr/lib/postgresql/15/bin'),
      /** systemd unit that runs PostgreSQL ("" to use pg_ctl). @default postgresql@15-main */
      service: z.string().regex(/^[A-Za-z0-9_.@-]{0,100}$/, 'a systemd unit name such as postgresql@15-main').default('postgresql@15-main'),
    })
    .default(() => ({ dataDirectory: '/var/lib/postgresql/15/main', binDirectory: '/usr/lib/postgresql/15/bin', service: 'postgresql@15-main' })),
  /**
   * How standbys in another region reach this node for replication (a cross-region endpoint, e.g. a
   * load balancer or a peering address), when not at `host`/`port`. Used when a standby is re-pointed
   * to this node, and to recognise it as a standby's upstream. @default [] (host and port everywhere)
   */
  replicationEndpoints: z
    .array(z.strictObject({ region, host: hostName, port }))
    .max(16)
    .default([]),
});

export const subscriberSchema = z.strictObject({
  name,
  region,
  host: z.string().min(1).max(253),
  port,
  database: loginName,
  /** Subscription to watch on the subscriber (pg_stat_subscription.subname). */
  subscription: z.string().min(1).max(63),
  /** TLS for the monitor's session to this subscriber. @default the cluster's tls */
  tls: tlsSchema.optional(),
});

/** See `policy.synchronousMode`. */
export const synchronousModes = ['off', 'on', 'strict'] as const;
/** See `policy.requireFencing`. */
export const fencingModes = ['always', 'unless-region-unreachable', 'never'] as const;

export const policySchema = z.strictObject({
  /** Recovery point objective in seconds: the lag alarm fires above it. @default 30 */
  rpoSeconds: z.number().positive().max(86400).default(30),
  /** Lag guard: refuse a candidate more than this many WAL bytes behind. @default 16 MiB */
  maxLagBytes: z.number().int().nonnegative().default(16 * 1024 * 1024),
  /** Lag guard: refuse a candidate more than this many seconds behind. @default 30 */
  maxLagSeconds: z.number().nonnegative().default(30),
  /** Independent signals that must say "down" to confirm an outage (of 4: EC2, database probe,
   * standbys' receivers, metric staleness). A primary that answers the probe always vetoes. @default 3 */
  requiredSignals: z.number().int().min(1).max(4).default(3),
  /** Seconds to wait before re-checking a confirmed outage. It adds to every failover's RTO; what
   * keeps a short stall from promoting is mostly the signals themselves (during a 20 s stall the
   * standbys still stream, EC2 reports the instance running and the writer's metrics are not yet
   * `metricStaleSeconds` old), and the re-check adds a second look at a primary that comes back
   * within this many seconds of the first. 5 s keeps a region outage near 30 s RTO with the default
   * 2-of-3 alarm; raise it to trade RTO for a longer second look. @default 5 */
  recheckAfterSeconds: z.number().int().min(0).max(600).default(5),
  /** Re-checks that must confirm again before acting. @default 1 */
  rechecks: z.number().int().min(0).max(5).default(1),
  /** While the failover alarm stays in ALARM, an outage not (yet) confirmed is checked again every
   * `recheckAfterSeconds` for this long, seconds from the first check; then the run ends
   * "undecided" and notifies that a person must decide. Must end well before the lease does.
   * @default 300 */
  recheckDeadlineSeconds: z.number().int().min(0).max(3600).default(300),
  /** A standby's WAL receiver that has not heard from the primary (WAL or keepalive) for longer than
   * this, seconds, no longer counts as evidence that the primary is alive. An idle healthy primary is
   * heard every `wal_receiver_timeout / 2` (the standby asks for a keepalive then): keep this above
   * that — with PostgreSQL's default `wal_receiver_timeout` of 60 s, above 30. Lower
   * `wal_receiver_timeout` on the standbys (e.g. 10 s) to detect sooner. @default 40 */
  receiverStaleSeconds: z.number().min(1).max(600).default(40),
  /** The writer last seen reachable by the monitor longer ago than this counts as a "down" signal.
   * The default 1-of-3 alarm fires about 20 s after the last good sample when the fault falls just
   * after a period boundary, so 15 s lets this signal agree at the first check (20 s cost a region
   * outage a third check, 5 s more). What keeps a 20 s stall from promoting is first the standbys:
   * their receivers still count as hearing from the primary for `receiverStaleSeconds` (40 s).
   * Where they go stale sooner (a short `wal_receiver_timeout`, as on the local stack), both checks
   * must see every signal down: a stall shorter than about `metricStaleSeconds` − the sampling gap +
   * the probe's connect timeout + `recheckAfterSeconds` is vetoed by the probe answering again.
   * @default 15 */
  metricStaleSeconds: z.number().int().min(10).max(3600).default(15),
  /**
   * How long, seconds, a primary that answers the database probe only with "cannot connect now"
   * (SQLSTATE 57P03: starting up, shutting down, or in recovery with hot standby off) still counts
   * as alive and vetoes the failover. It is measured on the control plane's clock from the first
   * check of the execution that saw it, across the re-checks; past it the probe counts as "down" and
   * the receipt says why. Crash recovery replays the WAL since the last checkpoint (seconds to a
   * couple of minutes with the default checkpoint_timeout of 5 min and max_wal_size of 1 GB): a
   * server still starting after that is not coming back as a writer soon. Must be below
   * `recheckDeadlineSeconds`, or the re-checks end before it runs out. @default 120 */
  startingUpGraceSeconds: z.number().int().min(0).max(3600).default(120),
  /**
   * When the failover may move traffic without having proven the old writer stopped (its EC2
   * instance seen `stopped`):
   * - `always`: never; an unfenced old writer stops the failover (a person decides).
   * - `unless-region-unreachable`: only when the old writer's regional EC2 API did not answer at all
   *   (connection errors, timeouts) and the instance was never seen `running` or `stopping`. An API
   *   that answers and refuses (access denied, an SCP, a missing tag, a throttle that does not end,
   *   a validation error) stops the failover: the writer may well be alive.
   * - `never`: fencing is attempted and recorded but never holds the failover back (two writers are
   *   possible; for clusters whose applications fence themselves).
   * @default unless-region-unreachable */
  requireFencing: z.enum(fencingModes).default('unless-region-unreachable'),
  /** Longest wait, seconds, for the fenced instance to reach `stopped` after the stop request (a
   * force stop passes through `stopping`, in which the guest may still run and take writes). Must
   * fit in the fence function's timeout. @default 120 */
  fenceTimeoutSeconds: z.number().int().min(1).max(600).default(120),
  /** The writer's host agent renews the writer lease; a writer whose lease the control plane saw
   * unrenewed for this long, seconds on the control plane's own clock, has stopped itself (its agent
   * stops PostgreSQL after half of it) and may be promoted past, even across regions. Until then
   * nothing is promoted past it. It adds to a region outage's RTO only where the outage is confirmed
   * sooner than this after the first check: 10 keeps a region outage within about 30 s. @default 10 */
  writerLeaseSeconds: z.number().int().min(4).max(300).default(10),
  /** Seconds between two renewals of the writer lease by the agent (well below half the lease:
   * a renewal that fails is retried on the next turn). @default 2 */
  writerLeaseRenewSeconds: z.number().min(0.5).max(60).default(2),
  /** After a completed failover, further automatic failovers are refused for this long. @default 900 */
  cooldownSeconds: z.number().int().min(0).max(86400).default(900),
  /** A lease older than this is considered abandoned (its execution died); each step that changes the
   * world extends it by this much. Checked at load against every stretch that runs under one
   * assertion of it (shared/config/rules.ts: the confirmation and candidate choice, each step's Task
   * timeout, a switchover invocation, the rejoin's command and streaming check, 870 s). @default 900 */
  leaseSeconds: z.number().int().min(60).max(86400).default(900),
  /** pg_promote wait, seconds. @default 60 */
  promoteTimeoutSeconds: z.number().int().min(1).max(600).default(60),
  /** Longest wait for the Route 53 change to be INSYNC, seconds. @default 120 */
  dnsSyncTimeoutSeconds: z.number().int().min(1).max(900).default(120),
  /** Longest wait, after re-pointing the surviving standbys to a new writer, for each of them to
   * stream from it, seconds. A standby still not streaming then is reported, not waited for. @default 30 */
  followTimeoutSeconds: z.number().int().min(1).max(120).default(30),
  /**
   * Who manages the writer's `synchronous_standby_names` (Patroni's synchronous modes):
   * - `off`: never the control plane; it neither sets nor reads it for any decision, and a failover
   *   claims no zero-loss candidate.
   * - `on`: one in-region standby streaming from the writer is named synchronous (the configured
   *   sync-standby first); when it has not streamed for `syncLossSeconds` the next in-region streaming
   *   standby is named instead, or none (`''`), and when one streams again it is named again. Commits
   *   never wait longer than about `syncLossSeconds` for a standby that is gone, at the price of a
   *   window in which only the writer holds what it acknowledged (recorded, and said by a failover).
   * - `strict`: as `on`, but a lost synchronous standby is never dropped for none: commits wait until
   *   it (or another in-region standby) streams again, and the SyncRep wait alarm pages a person.
   * Which node is synchronous is kept in the cluster record, so that a failover knows whether its
   * candidate holds every acknowledged commit.
   * @default on — what the documented setup intends (a synchronous standby in a second AZ) without
   * its hazard: a fixed `FIRST 1 (…)` blocks every commit for good when that one standby's instance
   * stops, an outage of the database caused by the loss of a replica.
   */
  synchronousMode: z.enum(synchronousModes).default('on'),
  /**
   * Seconds the synchronous standby may go without acknowledging before it counts as lost (`on`
   * drops it): commits have waited on it this long, or — with no commit waiting — its last reply
   * (`pg_stat_replication.reply_time`) is twice this old (an idle healthy standby replies every
   * `wal_receiver_status_interval`, 10 s by default). Commits resume about this long plus one
   * monitor sample after the loss: keep the sum within what applications may stall. @default 10
   */
  syncLossSeconds: z.number().int().min(2).max(600).default(10),
});

export const monitorSchema = z.strictObject({
  /** Seconds between two samples of every node within one invocation. @default 10 */
  sampleIntervalSeconds: z.number().min(1).max(60).default(10),
  /** Samples per invocation (the schedule runs once a minute). @default 6 */
  samplesPerInvocation: z.number().int().min(1).max(60).default(6),
  /** Connect timeout of every probe connection, ms. @default 3000 */
  connectTimeoutMs: z.number().int().min(100).max(30000).default(3000),
  /** Per-query timeout (client side and statement_timeout), ms. @default 2000 */
  queryTimeoutMs: z.number().int().min(100).max(30000).default(2000),
});

export const alarmSchema = z.strictObject({
  /** Alarm period in seconds (10 or 30 need high-resolution metrics; else a multiple of 60). @default 10 */
  periodSeconds: z.union([z.literal(10), z.literal(30), z.number().int().min(60).multipleOf(60)]).default(10),
  /** Periods evaluated. @default 3 */
  evaluationPeriods: z.number().int().min(1).max(100).default(3),
  /** Breaching periods among those evaluated that put the failover alarm in ALARM. The failover
   * alarm decides on published data only (the monitor publishes PrimaryReachable = 0 when it cannot
   * reach a writer; missing data is not breaching), so neither a new deployment nor a silent monitor
   * fires it. 1 detects a lost primary one whole period after the period it was last seen in
   * (10–20 s); each datapoint more adds a period. The alarm only starts the workflow: what keeps a
   * stall or a lost monitor path from promoting is the workflow's signals and re-check (EC2 reports
   * the instance running, the standbys still hear from the primary, the database probe answers
   * again), so a false alarm costs an execution and a "no-failover" receipt. @default 1 */
  datapointsToAlarm: z.number().int().min(1).max(100).default(1),
  /** Breaching periods among those evaluated that put the alarms that only notify (replication lag,
   * WAL senders and receivers, split brain) in ALARM. @default 2, or evaluationPeriods when fewer */
  notifyDatapointsToAlarm: z.number().int().min(1).max(100).optional(),
  /** The monitor-blind alarm fires when the monitor published nothing for a cluster this long (dead,
   * throttled, failing before it publishes, or its path to CloudWatch lost). It notifies; it never
   * starts a failover. Rounded up to whole alarm periods. @default 60 */
  monitorBlindSeconds: z.number().int().min(10).max(3600).default(60),
});

export const clusterSchema = z.strictObject({
  name,
  /** Database the probes connect to. */
  database: loginName,
  nodes: z.array(nodeSchema).min(2).max(16),
  subscribers: z.array(subscriberSchema).max(16).default([]),
  route53: z.strictObject({
    hostedZoneId: z.string().regex(/^[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone id such as Z0123456789ABC (without /hostedzone/)'),
    recordName: z.string().min(1).max(253),
    ttl: z.number().int().min(0).max(86400).default(30),
  }),
  /** SSM parameters (SecureString) holding DATABASE_URL, one per application region. */
  databaseUrlParameters: z
    .array(
      z.strictObject({
        region,
        name: ssmName,
        /** Customer-managed KMS key (in that region) the SecureString is encrypted with: kept on every
         * rewrite and granted to the functions that read or write it. @default the account's aws/ssm key */
        kmsKeyArn: arn('kms').optional(),
      }),
    )
    .min(1)
    .max(20),
  /** TLS for every node and subscriber that does not set its own. @default sslmode disable */
  tls: tlsSchema.optional(),
  credentials: z.strictObject({
    /** Login of the monitor (needs pg_monitor). */
    monitor: credentialSchema,
    /** Non-superuser login allowed to run pg_promote (and pg_monitor). */
    failover: credentialSchema,
  }),
  /**
   * Replication login the standbys stream with, and that `pgfo rejoin` runs pg_rewind and
   * pg_basebackup as. Its password is never sent: each host's postgres OS user keeps it in its
   * password file (~/.pgpass). @default replicator
   */
  replicationUser: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'a login name of letters, digits, "_" or "-"').default('replicator'),
  policy: policySchema.default(() => policySchema.parse({})),
  monitor: monitorSchema.default(() => monitorSchema.parse({})),
  alarms: alarmSchema.default(() => alarmSchema.parse({})),
});

/** Subnets and security groups a function runs in. */
const vpcSchema = z.strictObject({
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as subnet-0abc1234')).min(1).max(16),
  securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0abc1234')).min(1).max(5),
});

/** How the control plane is deployed into an account: network, notifications, keys, tags. */
export const deploymentSchema = z.strictObject({
  /**
   * Subnets and security groups for every function that opens a database session (the others stay
   * outside the VPC). One setting for all clusters: each function serves every cluster. The subnets
   * must reach the nodes and the AWS endpoints those functions call (docs/deploy.md). Those of the
   * home region's stack (controlRegions[0]); the other control regions' are under `regions`. @default none
   */
  vpc: vpcSchema.optional(),
  /**
   * Subnets and security groups of the witness function in witnessRegion (its own VPC, which must
   * reach the nodes: peering or a transit gateway, and the EC2 and SSM endpoints). @default none
   */
  witnessVpc: vpcSchema.optional(),
  /** Where alarms that need a person and the failover's own events are sent. @default a topic created with the stack */
  notifications: z
    .strictObject({
      /** An existing SNS topic (its policy must let CloudWatch and EventBridge publish), in the home region:
       * other control regions name theirs under `regions`. @default create one */
      topicArn: arn('sns').optional(),
      /** E-mail addresses subscribed to the created topic (each must confirm). @default none */
      emails: z.array(z.email()).max(20).default([]),
    })
    .default(() => ({ emails: [] })),
  /** Customer-managed KMS key of the home region's stack (a key in controlRegions[0]): of the credential
   * and CA parameters and the topic there. The other control regions' are under `regions`. @default AWS-managed keys */
  kmsKeyArn: arn('kms').optional(),
  /**
   * The regional settings of the stacks in the other control regions: subnets, security groups,
   * keys and topics belong to one region, so vpc, kmsKeyArn and notifications.topicArn above are the
   * home region's (controlRegions[0]) and `regions.<region>` gives another control region's stack its
   * own. Loading refuses a control region left without one while the home region has it
   * (docs/deploy.md, "More than one control region"). @default none
   */
  regions: z
    .record(
      region,
      z.strictObject({
        /** That region's subnets and security groups for the functions that open database sessions. @default none */
        vpc: vpcSchema.optional(),
        /** That region's key of the credential and CA parameters and the topic. @default AWS-managed keys */
        kmsKeyArn: arn('kms').optional(),
        /** An existing SNS topic in that region for its stack's alarms and events (as notifications.topicArn). @default create one */
        topicArn: arn('sns').optional(),
      }),
    )
    .optional(),
  /**
   * Where the table of the cluster records and leases lives when writer agents run on the hosts: a
   * DynamoDB global table with multi-Region strong consistency, replicas in two regions and a witness
   * in a third, all of one supported region set (US: us-east-1, us-east-2, us-west-2; EU: eu-west-1,
   * eu-west-2, eu-west-3, eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3). Every
   * control region must be a replica (each stack uses its own region's; the home stack creates the
   * table). Needed by more than one control region: it is the store they share. A write or strongly
   * consistent read succeeds wherever a majority of the three regions is reachable
   * (docs/architecture.md). @default a regional table in the control region (no writer lease across regions)
   */
  writerLease: z
    .strictObject({
      /** The two replica regions; every control region is one of them. */
      replicaRegions: z.array(region).length(2),
      /** The witness region (stores no items you can read; it votes). */
      witnessRegion: region,
    })
    .optional(),
  /** Tags put on every resource of the stack that takes tags. @default none */
  tags: z
    .record(z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, 'a tag key').refine((key) => !key.startsWith('aws:'), 'a tag key not starting with "aws:"'), z.string().max(256))
    .default({}),
  /** Concurrency reserved for the functions that must run when the account is busy (at least 1). */
  reservedConcurrency: z
    .strictObject({
      /** The monitor: one run a minute, two may overlap (75 s timeout). @default 2 */
      monitor: z.number().int().min(1).max(100).default(2),
      /** The alarm trigger (startFailover): one invocation per alarm change. @default 5 */
      trigger: z.number().int().min(1).max(100).default(5),
    })
    .default(() => ({ monitor: 2, trigger: 5 })),
});

export const configSchema = z
  .strictObject({
    /**
     * Regions the control plane is deployed in: the same stack in each (docs/deploy.md, "More than one
     * control region"). For each cluster the stacks outside the recorded writer's region act and the
     * stack in the writer's region stays passive (it monitors and reports); which one that is follows
     * the cluster record, not this list. Every node's region must leave at least one control region
     * outside it, so that losing any one region leaves an arbiter. More than one needs
     * deployment.writerLease (the store all stacks share). The first is the home region: its stack
     * creates the shared table (deploy it first, remove it last). @default [controlRegion]
     */
    controlRegions: z.array(region).min(1).max(3).optional(),
    /**
     * In a file: the single region of a one-region control plane (the older form of controlRegions).
     * As loaded by a function: the region of the stack that runs it. @default controlRegions[0]
     */
    controlRegion: region.optional(),
    /** Allows a control region to be the only one outside no node region: a node (the primary, or a
     * standby that may become the writer) in the only control region (a single-region test or staging
     * account only: an outage of that region then takes the control plane down with the writer). @default false */
    allowControlRegionWithPrimary: z.boolean().default(false),
    /**
     * Region of the witness: a function deployed there (a second stack, docs/deploy.md) that the
     * outage confirmation asks whether it, too, can reach the writer's database and its region's EC2
     * API, and that fences the writer when the control plane cannot reach that API but the witness
     * can. A promotion into another region than the writer's needs the witness to agree the writer is
     * gone (or its writer lease to have expired). It must differ from every control region and from
     * every node's region: after a failover the writer may be in any of them. @default none (then
     * allowCrossRegionWithoutWitness must be set) */
    witnessRegion: region.optional(),
    /**
     * Without a witnessRegion, automatic cross-region promotions go on as before the witness existed:
     * on the control plane's own view (EC2's evidence) alone, which cannot tell a partition between
     * the control region and the primary's from the primary's region being lost. Loading refuses a
     * configuration with neither. @default false */
    allowCrossRegionWithoutWitness: z.boolean().default(false),
    /** CloudWatch namespace for every metric. @default PgFailover */
    namespace: z.string().regex(/^[A-Za-z0-9_./#:-]{1,255}$/, 'a CloudWatch namespace').default('PgFailover'),
    clusters: z.array(clusterSchema).min(1).max(100),
    deployment: deploymentSchema.default(() => deploymentSchema.parse({})),
  })
  .transform((config, ctx) => {
    const controlRegions = config.controlRegions ?? (config.controlRegion === undefined ? undefined : [config.controlRegion]);
    if (controlRegions === undefined) {
      ctx.addIssue({ code: 'custom', path: ['controlRegions'], message: 'not set: name the regions the control plane is deployed in (controlRegions, or controlRegion for one)' });
      return z.NEVER;
    }
    return { ...config, controlRegions, controlRegion: config.controlRegion ?? controlRegions[0]! };
  });

export type FailoverConfig = z.infer<typeof configSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type SubscriberConfig = z.infer<typeof subscriberSchema>;
export type Credential = z.infer<typeof credentialSchema>;
export type Policy = z.infer<typeof policySchema>;
export type NodeRole = (typeof nodeRoles)[number];
export type FencingMode = (typeof fencingModes)[number];
export type SynchronousMode = (typeof synchronousModes)[number];
export type TlsConfig = z.infer<typeof tlsSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
