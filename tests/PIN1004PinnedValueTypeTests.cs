using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN1004: <c>GCHandle.Alloc(valueTypeExpr, GCHandleType.Pinned)</c> pins a boxed copy. Reported on the pin call.
/// The handles are freed in <c>finally</c> so that <see cref="PinnedHandleAnalyzer"/> reports nothing else,
/// unless a test says otherwise.
/// </summary>
public sealed class PIN1004PinnedValueTypeTests
{
    [Fact]
    public Task StructLocal()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
                public int Flags;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Read()
                {
                    var header = new Header();
                    var handle = {|#0:GCHandle.Alloc(header, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"));

    [Fact]
    public Task IntLocal()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int get_count(IntPtr count);

                public static int Count()
                {
                    int count = 0;
                    var handle = {|#0:GCHandle.Alloc(count, GCHandleType.Pinned)|};
                    try
                    {
                        get_count(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return count;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("int"));

    [Fact]
    public Task StructFieldOfClass()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Stats
            {
                public long Reads;
                public long Writes;
            }

            sealed class Device
            {
                [DllImport("libc")] private static extern int query(IntPtr stats);

                private Stats _stats;

                public void Refresh()
                {
                    var handle = {|#0:GCHandle.Alloc(_stats, GCHandleType.Pinned)|};
                    try
                    {
                        query(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Stats"));

    [Fact]
    public Task RefStructParameterIsStillCopied()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static void Fill(ref Header header)
                {
                    var handle = {|#0:GCHandle.Alloc(header, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"));

    [Fact]
    public Task StructArrayElement()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Entry
            {
                public int Key;
                public int Value;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int update(IntPtr entry);

                public static void Update(Entry[] entries, int i)
                {
                    var handle = {|#0:GCHandle.Alloc(entries[i], GCHandleType.Pinned)|};
                    try
                    {
                        update(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Entry"));

    [Fact]
    public Task EnumValue()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            enum Mode { Read, Write }

            static class Native
            {
                [DllImport("libc")] private static extern int get_mode(IntPtr mode);

                public static Mode Current(Mode mode)
                {
                    var handle = {|#0:GCHandle.Alloc(mode, GCHandleType.Pinned)|};
                    try
                    {
                        get_mode(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return mode;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Mode"));

    [Fact]
    public Task GenericStruct()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr pair);

                public static KeyValuePair<int, int> Fill(KeyValuePair<int, int> pair)
                {
                    var handle = {|#0:GCHandle.Alloc(pair, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return pair;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("KeyValuePair<int, int>"));

    [Fact]
    public Task TypeParameterConstrainedToStruct()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value, int size);

                public static T Fill<T>(T value) where T : unmanaged
                {
                    var handle = {|#0:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject(), 4);
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return value;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("T"));

    [Fact]
    public Task NamedArgumentsInAnyOrder()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Fill(Header header)
                {
                    var handle = {|#0:GCHandle.Alloc(type: GCHandleType.Pinned, value: header)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"));

    [Fact]
    public Task BoxedCopyOfUnusedParameterStoredInFieldIsOnlyPIN1001()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            sealed class Device
            {
                private GCHandle _handle;

                public Device(Header header)
                {
                    _handle = {|#0:GCHandle.Alloc(header, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));

    [Fact]
    public Task BoxedCopyNeverFreedIsAlsoPIN1002()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static long Fill(long value)
                {
                    var handle = {|#0:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    fill(handle.AddrOfPinnedObject());
                    return value;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("long"),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed"));

    [Fact]
    public Task ExplicitCastToObjectStillPinsAFreshBox()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Fill(Header header)
                {
                    var handle = {|#0:GCHandle.Alloc((object)header, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"));

    [Fact]
    public Task NullableValue()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static int? Fill(int? value)
                {
                    var handle = {|#0:GCHandle.Alloc(value, GCHandleType.Pinned)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return value;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("int?"));

    [Fact]
    public Task ConstantPinnedHandleType()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                private const GCHandleType Kind = GCHandleType.Pinned;

                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Fill(Header header)
                {
                    var handle = {|#0:GCHandle.Alloc(header, Kind)|};
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"));

    [Fact]
    public Task BoxedLoopValuesAccumulatingAreOnlyPIN1003()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void PinAll(long[] values)
                {
                    foreach (var value in values)
                    {
                        _handles.Add({|#0:GCHandle.Alloc(value, GCHandleType.Pinned)|});
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection '_handles'"));

    [Fact]
    public Task StaticFieldInitializerIsAlsoPIN1001()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                private static Header s_header;
                private static GCHandle s_handle = {|#0:GCHandle.Alloc(s_header, GCHandleType.Pinned)|};
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in static field 's_handle'"));

    [Fact]
    public Task InsideLocalFunctionAndLambda()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static Action Filler(int count, double ratio)
                {
                    Fill();
                    return () =>
                    {
                        var handle = {|#1:GCHandle.Alloc(ratio, GCHandleType.Pinned)|};
                        try
                        {
                            fill(handle.AddrOfPinnedObject());
                        }
                        finally
                        {
                            handle.Free();
                        }
                    };

                    void Fill()
                    {
                        var handle = {|#0:GCHandle.Alloc(count, GCHandleType.Pinned)|};
                        try
                        {
                            fill(handle.AddrOfPinnedObject());
                        }
                        finally
                        {
                            handle.Free();
                        }
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("int"),
            Verify.Diagnostic("PIN1004").WithLocation(1).WithArguments("double"));

    private const string Locator = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        struct Locator { public int Kind; public int Count; }

        sealed class Player : IDisposable
        {
            [DllImport("OpenSLES")] private static extern int CreatePlayer(IntPtr locator);

            private readonly List<GCHandle> _handles = new();

            public void Dispose() { foreach (var h in _handles) h.Free(); }

        """;

    [Fact]
    public Task LocalUsedOnlyForTheBoxIsTheAddressIdiom()
        => Verify.VerifyAsync(Locator + """
                public Player()
                {
                    var loc = new Locator { Kind = 1, Count = 2 };
                    var h = GCHandle.Alloc(loc, GCHandleType.Pinned);
                    try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                }

                public int Query()
                {
                    var loc = new Locator { Kind = 2 };
                    var h = GCHandle.Alloc(loc, GCHandleType.Pinned);
                    try
                    {
                        CreatePlayer(h.AddrOfPinnedObject());
                        return ((Locator)h.Target!).Count;
                    }
                    finally
                    {
                        h.Free();
                    }
                }

                public void Fresh()
                {
                    var h = GCHandle.Alloc(new Locator { Kind = 3 }, GCHandleType.Pinned);
                    try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                }

                public void PerIteration(int n)
                {
                    for (int i = 0; i < n; i++)
                    {
                        var loc = new Locator { Kind = i };
                        var h = GCHandle.Alloc(loc, GCHandleType.Pinned);
                        try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                    }
                }
            }
            """);

    [Fact]
    public Task LocalReadOrWrittenAfterTheBoxIsReported()
        => Verify.VerifyAsync(Locator + """
                public int ReadAfter()
                {
                    var loc = new Locator { Kind = 1 };
                    var h = {|#0:GCHandle.Alloc(loc, GCHandleType.Pinned)|};
                    try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                    return loc.Count;
                }

                public void WrittenAfter()
                {
                    var loc = new Locator { Kind = 1 };
                    var h = {|#1:GCHandle.Alloc(loc, GCHandleType.Pinned)|};
                    try
                    {
                        loc.Count = 5;
                        CreatePlayer(h.AddrOfPinnedObject());
                    }
                    finally
                    {
                        h.Free();
                    }
                }

                public int MemberOfLocal()
                {
                    var pair = (Outer: new Locator(), Inner: new Locator());
                    var h = {|#2:GCHandle.Alloc(pair.Inner, GCHandleType.Pinned)|};
                    try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                    return pair.Inner.Count;
                }

                public int ReadBeforeInNextIteration(int n)
                {
                    var loc = new Locator();
                    var total = 0;
                    for (int i = 0; i < n; i++)
                    {
                        total += loc.Count;
                        var h = {|#3:GCHandle.Alloc(loc, GCHandleType.Pinned)|};
                        try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                    }

                    return total;
                }

                public Func<int> Captured()
                {
                    var loc = new Locator();
                    var h = {|#4:GCHandle.Alloc(loc, GCHandleType.Pinned)|};
                    try { CreatePlayer(h.AddrOfPinnedObject()); } finally { h.Free(); }
                    return () => loc.Count;
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Locator"),
            Verify.Diagnostic("PIN1004").WithLocation(1).WithArguments("Locator"),
            Verify.Diagnostic("PIN1004").WithLocation(2).WithArguments("Locator"),
            Verify.Diagnostic("PIN1004").WithLocation(3).WithArguments("Locator"),
            Verify.Diagnostic("PIN1004").WithLocation(4).WithArguments("Locator"));

    // ---- valid code: no PIN1004 ----

    [Fact]
    public Task StructReturnedByCallHasNoOriginalToMiss()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                private static Header Create() => new Header { Length = 4 };

                public static void Fill()
                {
                    var handle = GCHandle.Alloc(Create(), GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    /// <summary>
    /// managedCuda's <c>CopyToHost(ref T dest)</c>: the box is filled by native code and copied back into the original
    /// through the handle's address (or its <c>Target</c>), so the native writes do reach it.
    /// </summary>
    [Fact]
    public Task OriginalCopiedBackFromTheBoxIsNotReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] internal static extern int fill(IntPtr header);
            }

            sealed class Device<T> where T : struct
            {
                private static int fill(IntPtr header) => Native.fill(header);

                private Header _last;

                public void CopyToHost(ref T dest)
                {
                    GCHandle handle = GCHandle.Alloc(dest, GCHandleType.Pinned);
                    try
                    {
                        IntPtr ptr = handle.AddrOfPinnedObject();
                        fill(ptr);
                        dest = (T)Marshal.PtrToStructure(ptr, typeof(T));
                    }
                    finally
                    {
                        handle.Free();
                    }
                }

                public void Get(out T value)
                {
                    value = default(T);
                    GCHandle gch = GCHandle.Alloc(value, GCHandleType.Pinned);
                    try
                    {
                        fill(gch.AddrOfPinnedObject());
                        value = Marshal.PtrToStructure<T>(gch.AddrOfPinnedObject());
                    }
                    finally
                    {
                        gch.Free();
                    }
                }

                public Header Read()
                {
                    var header = new Header();
                    var handle = GCHandle.Alloc(header, GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                        header = (Header)handle.Target!;
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return header;
                }

                public void Refresh()
                {
                    var handle = GCHandle.Alloc(_last, GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                        _last = (Header)handle.Target!;
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    /// <summary>
    /// The copy-back must read through the same handle: an assignment from another handle or from anything else leaves
    /// the native writes in the box.
    /// </summary>
    [Fact]
    public Task OriginalAssignedFromElsewhereIsStillReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static void Fill(ref Header header, ref Header other)
                {
                    var handle = {|#0:GCHandle.Alloc(header, GCHandleType.Pinned)|};
                    var second = {|#1:GCHandle.Alloc(other, GCHandleType.Pinned)|};
                    try
                    {
                        IntPtr ptr = handle.AddrOfPinnedObject();
                        fill(ptr);
                        fill(second.AddrOfPinnedObject());
                        header = default;
                        other = (Header)Marshal.PtrToStructure(ptr, typeof(Header))!;
                    }
                    finally
                    {
                        second.Free();
                        handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1004").WithLocation(0).WithArguments("Header"),
            Verify.Diagnostic("PIN1004").WithLocation(1).WithArguments("Header"));

    [Fact]
    public Task ArraysAreNotBoxed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Entry
            {
                public int Key;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr data);

                public static void Fill(byte[] bytes, Entry[] entries)
                {
                    var a = GCHandle.Alloc(bytes, GCHandleType.Pinned);
                    var b = GCHandle.Alloc(entries, GCHandleType.Pinned);
                    try
                    {
                        fill(a.AddrOfPinnedObject());
                        fill(b.AddrOfPinnedObject());
                    }
                    finally
                    {
                        a.Free();
                        b.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task StringsAreNotBoxed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int puts(IntPtr text);

                public static void Print(string text)
                {
                    var handle = GCHandle.Alloc(text, GCHandleType.Pinned);
                    try
                    {
                        puts(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task ClassInstancesAreNotBoxed()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            [StructLayout(LayoutKind.Sequential)]
            sealed class Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static void Fill(Header header)
                {
                    var handle = GCHandle.Alloc(header, GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task StructAlreadyBoxedIntoObjectIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr header);

                public static Header Fill(Header header)
                {
                    object boxed = header;
                    var handle = GCHandle.Alloc(boxed, GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }

                    return (Header)boxed;
                }
            }
            """);

    [Fact]
    public Task NormalAndWeakHandlesOfStructsAreNotPins()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            sealed class Roots
            {
                private GCHandle _normal;
                private GCHandle _weak;
                private GCHandle _default;

                public Roots(Header header)
                {
                    _normal = GCHandle.Alloc(header, GCHandleType.Normal);
                    _weak = GCHandle.Alloc(header, GCHandleType.Weak);
                    _default = GCHandle.Alloc(header);
                }
            }
            """);

    [Fact]
    public Task VariableHandleTypeIsNotJudged()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            struct Header
            {
                public int Length;
            }

            static class Roots
            {
                public static GCHandle Root(Header header, GCHandleType type) => GCHandle.Alloc(header, type);
            }
            """);

    [Fact]
    public Task UnconstrainedTypeParameterIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(IntPtr value);

                public static void Fill<T>(T value)
                {
                    var handle = GCHandle.Alloc(value, GCHandleType.Pinned);
                    try
                    {
                        fill(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedValueTypePinDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.Runtime.InteropServices;

            struct Header { public int Length; }

            static class Native
            {
                public static void Fill(Header header)
                {
                    var handle = GCHandle.Alloc(header, GCHandleType.
                    handle.Free(
            """);

    [Fact]
    public Task UnknownTypeIsNotAValueType()
        => Verify.VerifyNoCrashAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill()
                {
                    var handle = GCHandle.Alloc(missingThing, GCHandleType.Pinned);
                    handle.Free();
                    var other = GCHandle.Alloc(new Missing(), GCHandleType.Pinned);
                    other.Free();
                }
            }
            """,
            "PIN1004");
}
