import path from 'node:path';
import { WalPusher, type Repository } from '../../src/modules/backup/index.js';
import { BackupService } from './backup-service.js';
import { systemClock } from '../../src/platform/clock/clock.js';
import { silentLogger } from '../../src/platform/log/log.js';
import { resolveBinaries } from '../../src/platform/postgres/binaries.js';
import { runRecovery } from '../../src/platform/postgres/recovery.js';
import { FsStore } from '../../src/platform/storage/fs-store.js';
import type { ScratchCluster } from './scratch-cluster.js';

export interface ScratchBackups {
  readonly service: BackupService;
  /** Pushes the cluster's spool to the repository every 100 ms once started. */
  readonly pusher: WalPusher;
  readonly repositories: Repository[];
  readonly repositoryDir: string;
  readonly keyFile: string;
}

/** Backups of a scratch cluster into one directory repository, with restores that really recover. */
export async function scratchBackups(cluster: ScratchCluster, repositoryName = 'local'): Promise<ScratchBackups> {
  const repositoryDir = path.join(cluster.dir, repositoryName);
  const repositories = [{ name: repositoryName, store: new FsStore(repositoryDir) }];
  const keyFile = path.join(cluster.dir, 'backup.key');
  const binaries = await resolveBinaries(cluster.runAs);
  const service = new BackupService({
    repositories,
    source: cluster.target(),
    sourceDataDir: cluster.dataDir,
    keyFile,
    clock: systemClock,
    log: silentLogger(),
    recover: (run) => runRecovery({ ...run, binaries, runAs: cluster.runAs, log: silentLogger() }),
  });
  const pusher = new WalPusher({
    spool: new FsStore(cluster.spool),
    repositories,
    keyFile,
    clock: systemClock,
    log: silentLogger(),
    pollMs: 100,
  });
  return { service, pusher, repositories, repositoryDir, keyFile };
}
