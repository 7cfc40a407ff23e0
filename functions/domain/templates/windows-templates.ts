import { templateTarget as target, type PolicyTemplate, type UnsupportedItem } from './template.ts';

/**
 * Defender for Cloud's recommended Windows files (seeds/004) and, listed but not monitored, its
 * registry keys: the agent does not read the registry yet.
 */

const critical = { critical: true } as const;

const REGISTRY_KEYS = [
  'HKLM\\SOFTWARE\\Microsoft\\Cryptography\\OID\\EncodingType 0\\CryptSIPDllRemoveSignedDataMsg\\{C689AAB8-8E78-11D0-8C47-00C04FC295EE}',
  'HKLM\\SOFTWARE\\Microsoft\\Cryptography\\OID\\EncodingType 0\\CryptSIPDllRemoveSignedDataMsg\\{603BCC1F-4B59-4E08-B724-D2C6297EF351}',
  'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\IniFileMapping\\SYSTEM.ini\\boot',
  'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Windows',
  'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunServices',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunServicesOnce',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Cryptography\\OID\\EncodingType 0\\CryptSIPDllRemoveSignedDataMsg\\{C689AAB8-8E78-11D0-8C47-00C04FC295EE}',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Cryptography\\OID\\EncodingType 0\\CryptSIPDllRemoveSignedDataMsg\\{603BCC1F-4B59-4E08-B724-D2C6297EF351}',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows NT\\CurrentVersion\\IniFileMapping\\system.ini\\boot',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Windows',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnceEx',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunServices',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunServicesOnce',
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\hivelist',
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\KnownDLLs',
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\DomainProfile',
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\PublicProfile',
  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile',
];

const registryKey = (path: string): UnsupportedItem => ({ path, kind: 'registry-key', reason: 'The agent does not read the Windows registry yet.' });

const windowsRecommended: PolicyTemplate = {
  id: 'windows-recommended',
  name: 'Windows recommended paths',
  description: 'The Windows files Microsoft Defender for Cloud recommends monitoring, and the hosts file. Its registry keys are listed under `unsupported` until the agent reads the registry.',
  platform: 'windows',
  targets: [
    target('C:\\autoexec.bat', { description: 'Legacy start-up commands.' }),
    target('C:\\boot.ini', { ...critical, description: 'Legacy boot configuration.' }),
    target('C:\\config.sys', { description: 'Legacy system configuration.' }),
    target('C:\\Windows\\system.ini', { description: 'Legacy system settings (drivers, shell).' }),
    target('C:\\Windows\\win.ini', { description: 'Legacy settings (load= and run= start programs).' }),
    target('C:\\Windows\\regedit.exe', { ...critical, description: 'Registry editor.' }),
    target('C:\\Windows\\System32\\userinit.exe', { ...critical, description: 'Runs at every logon (a classic hijack point).' }),
    target('C:\\Windows\\explorer.exe', { ...critical, description: 'The Windows shell.' }),
    target('C:\\Program Files\\Microsoft Security Client\\msseces.exe', { ...critical, description: 'Microsoft Security Essentials.' }),
    target('C:\\Windows\\System32\\drivers\\etc', { ...critical, description: 'hosts, networks, protocol and services files.' }),
  ],
  unsupported: REGISTRY_KEYS.map(registryKey),
};

export const WINDOWS_TEMPLATES: readonly PolicyTemplate[] = [windowsRecommended];
