/** A POSIX ACL xattr value (posix_acl_xattr, version 2) from [tag, perm, id] entries, as the kernel stores it. */
export function aclValue(...entries: [tag: number, perm: number, id: number][]): Buffer {
  const value = Buffer.alloc(4 + entries.length * 8);
  value.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], i) => {
    value.writeUInt16LE(tag, 4 + i * 8);
    value.writeUInt16LE(perm, 6 + i * 8);
    value.writeUInt32LE(id, 8 + i * 8);
  });
  return value;
}

/** The id of the ACL entries that have none (owner, owning group, mask, other). */
export const ACL_ANY = 0xffffffff;
