// MSBuild inline task (RoslynCodeTaskFactory) used by LibStdCxxCompat.targets.
// It makes TorchSharp's native library loadable on systems whose libstdc++ lacks a symbol version
// that the library asks for (Debian 12 ships GLIBCXX_3.4.30; TorchSharp 0.107 asks for GLIBCXX_3.4.32).
//
// The only symbol with that version is std::ios_base_library_init(), a marker that GCC 13's <iostream>
// references so that the linker pulls in libstdc++'s stream initialisation. No relocation uses it, so
// nothing ever calls it. The patch, applied to the copy in the build output only:
//   1. marks the GLIBCXX_3.4.32 entry of .gnu.version_r weak (VER_FLG_WEAK), so the loader only warns;
//   2. sets the version index of every dynamic symbol tied to it to 1 (global, unversioned).
// It refuses (and fails the build with a clear message) if any relocation refers to such a symbol,
// since then the symbol would really be needed. It is idempotent.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class ElfVersionPatch : Task
{
    [Required] public string File { get; set; } = "";
    [Required] public string Version { get; set; } = "";
    public string SystemLibrary { get; set; } = "";
    [Output] public bool Patched { get; set; }

    public override bool Execute()
    {
        try
        {
            if (!System.IO.File.Exists(File)) { Log.LogMessage(MessageImportance.Low, "ElfVersionPatch: no " + File); return true; }
            if (SystemLibrary.Length > 0 && SystemHasVersion(SystemLibrary, Version))
            {
                Log.LogMessage(MessageImportance.Low, "ElfVersionPatch: " + SystemLibrary + " provides " + Version + "; nothing to do.");
                return true;
            }
            byte[] b = System.IO.File.ReadAllBytes(File);
            string result = Patch(b, Version);
            if (result == "patched")
            {
                string tmp = File + ".patching";
                System.IO.File.WriteAllBytes(tmp, b);
                System.IO.File.Replace(tmp, File, null);
                Patched = true;
                Log.LogMessage(MessageImportance.High, "LossLab: patched " + Path.GetFileName(File) + " so that it loads without " + Version + " in the system libstdc++.");
            }
            else Log.LogMessage(MessageImportance.Low, "ElfVersionPatch: " + File + ": " + result);
            return true;
        }
        catch (Exception e)
        {
            Log.LogError("LossLab: could not patch " + File + " for missing " + Version + ": " + e.Message);
            return false;
        }
    }

    static bool SystemHasVersion(string path, string version)
    {
        if (!System.IO.File.Exists(path)) return true; // unknown system: leave the file untouched
        byte[] data = System.IO.File.ReadAllBytes(path);
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        return IndexOf(data, needle) >= 0;
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    static ushort U16(byte[] b, long o) => BitConverter.ToUInt16(b, (int)o);
    static uint U32(byte[] b, long o) => BitConverter.ToUInt32(b, (int)o);
    static ulong U64(byte[] b, long o) => BitConverter.ToUInt64(b, (int)o);

    static string CString(byte[] b, long o)
    {
        int end = (int)o;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
    }

    /// <summary>Patches the image in place. Returns "patched", "already patched" or "not needed".</summary>
    public static string Patch(byte[] b, string version)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        long shoff = (long)U64(b, 0x28);
        int shentsize = U16(b, 0x3A), shnum = U16(b, 0x3C);
        const uint SHT_RELA = 4, SHT_DYNSYM = 11, SHT_GNU_verneed = 0x6ffffffe, SHT_GNU_versym = 0x6fffffff;
        long verneedOff = -1, versymOff = -1, dynsymOff = -1, dynsymSize = 0, dynsymEnt = 24; int verneedCount = 0; long dynstrOff = -1;
        var relas = new List<(long off, long size, long ent, uint link)>();
        int dynsymIndex = -1;
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            uint type = U32(b, h + 4);
            long off = (long)U64(b, h + 0x18), size = (long)U64(b, h + 0x20), ent = (long)U64(b, h + 0x38);
            uint link = U32(b, h + 0x28), info = U32(b, h + 0x2C);
            if (type == SHT_GNU_verneed)
            {
                verneedOff = off; verneedCount = (int)info;
                long lh = shoff + (long)link * shentsize;
                dynstrOff = (long)U64(b, lh + 0x18);
            }
            else if (type == SHT_GNU_versym) versymOff = off;
            else if (type == SHT_DYNSYM) { dynsymOff = off; dynsymSize = size; dynsymEnt = ent == 0 ? 24 : ent; dynsymIndex = i; }
            else if (type == SHT_RELA) relas.Add((off, size, ent == 0 ? 24 : ent, link));
        }
        if (verneedOff < 0 || versymOff < 0 || dynsymOff < 0) return "not needed";

        // 1. find the version-need entry
        ushort index = 0; long auxFlagsAt = -1; bool weakAlready = false;
        long vn = verneedOff;
        for (int n = 0; n < verneedCount; n++)
        {
            ushort cnt = U16(b, vn + 2);
            long aux = vn + U32(b, vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                ushort flags = U16(b, aux + 4), other = U16(b, aux + 6);
                string name = CString(b, dynstrOff + U32(b, aux + 8));
                if (name == version) { index = other; auxFlagsAt = aux + 4; weakAlready = (flags & 0x2) != 0; }
                aux += U32(b, aux + 12);
            }
            vn += U32(b, vn + 12);
        }
        if (auxFlagsAt < 0) return "not needed";

        // 2. the dynamic symbols tied to that version
        long nsym = dynsymSize / dynsymEnt;
        var tied = new HashSet<long>();
        for (long s = 0; s < nsym; s++)
            if ((U16(b, versymOff + 2 * s) & 0x7fff) == index) tied.Add(s);
        if (weakAlready && tied.Count == 0) return "already patched";

        // 3. refuse if a relocation really uses one of them
        foreach (var r in relas)
        {
            if (r.link != dynsymIndex) continue;
            for (long o = r.off; o + r.ent <= r.off + r.size; o += r.ent)
            {
                long sym = (long)(U64(b, o + 8) >> 32);
                if (tied.Contains(sym))
                    throw new InvalidDataException("a relocation uses symbol #" + sym + " of version " + version + "; a weak version is not safe here");
            }
        }

        // 4. patch
        ushort newFlags = (ushort)(U16(b, auxFlagsAt) | 0x2);
        BitConverter.GetBytes(newFlags).CopyTo(b, (int)auxFlagsAt);
        foreach (long s in tied) BitConverter.GetBytes((ushort)1).CopyTo(b, (int)(versymOff + 2 * s));
        return "patched";
    }
}
