import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  kernel: string;
  /** Filesystem type and device of the work dir (the trees live there). */
  filesystem: string;
  cpuFlags: string[];
  loadAverageAtStart: number[];
}

export function machineInfo(workDir: string): Machine {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = readFileSync('/etc/os-release', 'utf8');
    osName = /PRETTY_NAME="([^"]+)"/.exec(rel)?.[1] ?? osName;
  } catch {
    /* not Linux */
  }
  let filesystem = 'unknown';
  try {
    const line = execFileSync('df', ['-T', workDir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
    filesystem = `${line[1]} on ${line[0]}`;
  } catch {
    /* no df */
  }
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const all = /^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(' ') ?? [];
    flags = ['sha_ni', 'avx2', 'aes'].filter((f) => all.includes(f));
  } catch {
    /* not Linux */
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osName,
    kernel: os.release(),
    filesystem,
    cpuFlags: flags,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
