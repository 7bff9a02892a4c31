import { dynamoClient } from '../aws/clients/dynamodb';
import { ClusterRecordStore } from '../aws/cluster-record';
import { LeaseStore } from '../aws/lease';
import { WriterLeaseStore } from '../aws/writer-lease';
import type { FailoverConfig } from '../config/schema';

/** DynamoDB table holding leases, cluster records and receipts (created by serverless.yml). */
export const LEASE_TABLE_ENV = 'PGFO_LEASE_TABLE';
/** EventBridge bus receiving "writer changed" notifications. @default default */
export const EVENT_BUS_ENV = 'PGFO_EVENT_BUS';
/** Prefix of generated alarm names (service-stage). */
export const ALARM_PREFIX_ENV = 'PGFO_ALARM_PREFIX';

/** SSM Command document that rejoins a node (created by the deployment from host/pgfo-rejoin.sh). */
export const REJOIN_DOCUMENT_ENV = 'PGFO_REJOIN_DOCUMENT';

/** The witness function's name in witnessRegion (set by serverless.yml from the witness stack's name). */
export const WITNESS_FUNCTION_ENV = 'PGFO_WITNESS_FUNCTION';

export const witnessFunctionName = (): string => process.env[WITNESS_FUNCTION_ENV] || 'pgfo-witness-prod-witness';
export const rejoinDocumentName = (): string => process.env[REJOIN_DOCUMENT_ENV] || 'pgfo-prod-rejoin';
export const leaseTableName = (): string => process.env[LEASE_TABLE_ENV] || 'pgfo-leases';
export const eventBusName = (): string => process.env[EVENT_BUS_ENV] || 'default';
export const alarmPrefix = (): string => process.env[ALARM_PREFIX_ENV] || 'pgfo-prod';

/** The lease as this stack takes it: with several control regions, each stack's holders are its own (see LeaseStore). */
export const leaseStore = (config: FailoverConfig): LeaseStore =>
  new LeaseStore(dynamoClient(config.controlRegion), leaseTableName(), config.controlRegions.length > 1 ? config.controlRegion : undefined);
export const clusterRecordStore = (config: FailoverConfig): ClusterRecordStore =>
  new ClusterRecordStore(dynamoClient(config.controlRegion), leaseTableName());
export const writerLeaseStore = (config: FailoverConfig): WriterLeaseStore => new WriterLeaseStore(dynamoClient(config.controlRegion), leaseTableName());
