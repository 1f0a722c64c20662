using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;
using VerifyMemory = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.MemoryHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Pins made by helpers of the compilation (DESIGN.md, "Pins made by helpers (one level)"): pin owners, factories and
/// extension methods that return one, conversion operators. The owner's own Alloc keeps its PIN1001 in every snippet.
/// </summary>
public sealed class PIN1002PinnedByHelperTests
{
    /// <summary>A class owner: the constructor pins into a field, Dispose frees it.</summary>
    private const string ClassOwner = """
        sealed class PinnedBuffer : System.IDisposable
        {
            private GCHandle _handle;

            public PinnedBuffer(byte[] array) => _handle = {|PIN1001:GCHandle.Alloc(array, GCHandleType.Pinned)|};

            public nint Pointer => _handle.AddrOfPinnedObject();

            public void Dispose()
            {
                if (_handle.IsAllocated)
                {
                    _handle.Free();
                }
            }
        }
        """;

    /// <summary>A struct owner released by Free, through a private helper.</summary>
    private const string StructOwner = """
        struct Pinned
        {
            private readonly GCHandle _handle;

            public Pinned(object value) { _handle = {|PIN1001:GCHandle.Alloc(value, GCHandleType.Pinned)|}; }

            public nint Address => _handle.AddrOfPinnedObject();

            public void Free() => Release();

            private void Release() => _handle.Free();
        }
        """;

    [Fact]
    public Task ClassOwnerNeverDisposed()
        => Verify.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{ClassOwner}}

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] data)
                {
                    var buffer = {|#0:new PinnedBuffer(data)|};
                    write(fd, buffer.Pointer, data.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'PinnedBuffer')"));

    /// <summary>
    /// SharpFont's <c>Face</c>: only the constructor over a font file in memory pins it; a face opened from a path through
    /// <c>this(…)</c> chains holds no pin, so leaving it undisposed is not a leaked pin. A constructor that chains to the
    /// pinning one still pins.
    /// </summary>
    [Fact]
    public Task OnlyTheOwnersPinningConstructorsMakeAPin()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Face : IDisposable
            {
                private GCHandle _memory;
                private nint _reference;

                public Face(string path) : this(path, 0) { }

                public Face(string path, int index) : this() => _reference = Native.open(path, index);

                public Face(byte[] file) : this(file, 0) { }

                public Face(byte[] file, int index) : this()
                {
                    _memory = {|PIN1001:GCHandle.Alloc(file, GCHandleType.Pinned)|};
                    _reference = Native.open_memory(_memory.AddrOfPinnedObject(), file.Length, index);
                }

                private Face() { }

                public void Dispose()
                {
                    if (_memory.IsAllocated)
                    {
                        _memory.Free();
                    }
                }
            }

            static class Native
            {
                [DllImport("ft")] internal static extern nint open(string path, int index);
                [DllImport("ft")] internal static extern nint open_memory(nint data, int length, int index);

                public static void Render(byte[] file)
                {
                    var fromPath = new Face("tahoma.ttf");
                    var fromPathAndIndex = new Face("tahoma.ttf", 1);
                    var fromMemory = {|#0:new Face(file)|};
                    var fromMemoryAndIndex = {|#1:new Face(file, 1)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'Face')"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is never disposed (pinned by 'Face')"));

    /// <summary>
    /// RobustToolbox's fonts: a private owner pins its constructor parameter, and its only creation passes the result of
    /// a helper whose every return is a POH array (<c>stream.CopyToPinnedArray()</c>). The pin is of memory that never
    /// moves: neither the owner's own Alloc (PIN1001) nor the undisposed owner (PIN1002) is reported. An owner that is
    /// also created over an ordinary array, or a helper that may return one, is reported as before.
    /// </summary>
    [Fact]
    public Task OwnersOverPinnedObjectHeapArraysFromAHelperAreNotPins()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            static class StreamExt
            {
                internal static byte[] CopyToPinnedArray(this Stream stream)
                {
                    var count = (int)stream.Length;
                    var array = GC.AllocateUninitializedArray<byte>(count, pinned: true);
                    stream.ReadExactly(array);
                    return array;
                }

                internal static byte[] CopyToArray(this Stream stream, bool pinned)
                    => pinned ? GC.AllocateUninitializedArray<byte>((int)stream.Length, pinned: true) : new byte[stream.Length];
            }

            sealed class FontManager
            {
                public IDisposable Load(Stream stream) => Keep(new ArrayMemoryHandle(stream.CopyToPinnedArray()));

                public IDisposable LoadMaybe(Stream stream) => Keep({|#0:new OtherHandle(stream.CopyToArray(pinned: false))|});

                private static IDisposable Keep(IDisposable handle) => handle;

                private sealed class ArrayMemoryHandle(byte[] array) : IDisposable
                {
                    private GCHandle _gcHandle = GCHandle.Alloc(array, GCHandleType.Pinned);

                    public void Dispose() => _gcHandle.Free();
                }

                private sealed class OtherHandle(byte[] array) : IDisposable
                {
                    private GCHandle _gcHandle = {|#1:GCHandle.Alloc(array, GCHandleType.Pinned)|};

                    public void Dispose() => _gcHandle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'OtherHandle')"),
            Verify.Diagnostic("PIN1001").WithLocation(1).WithArguments("it is stored in field '_gcHandle'"));

    [Fact]
    public Task ClassOwnerDisposedWithUsingIsClean()
        => Verify.VerifyAsync($$"""
            using System.IO;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            {{ClassOwner}}

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] data)
                {
                    using (var buffer = new PinnedBuffer(data))
                    {
                        write(fd, buffer.Pointer, data.Length);
                    }
                }

                public static async Task SendLater(Stream stream, int fd, byte[] data)
                {
                    using var buffer = new PinnedBuffer(data);
                    await stream.FlushAsync();
                    write(fd, buffer.Pointer, data.Length);
                }

                public static void SendFinally(Stream stream, int fd, byte[] data)
                {
                    var buffer = new PinnedBuffer(data);
                    try
                    {
                        stream.Flush();
                        write(fd, buffer.Pointer, data.Length);
                    }
                    finally
                    {
                        buffer.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task ClassOwnerLeaksWhenACallThrows()
        => Verify.VerifyAsync($$"""
            using System.IO;
            using System.Runtime.InteropServices;

            {{ClassOwner}}

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(Stream stream, int fd, byte[] data)
                {
                    var buffer = {|#0:new PinnedBuffer(data)|};
                    stream.Flush();
                    write(fd, buffer.Pointer, data.Length);
                    buffer.Dispose();
                }

                public static void OwnMembersDoNotThrow(int fd, byte[] data)
                {
                    var buffer = new PinnedBuffer(data);
                    write(fd, buffer.Pointer, data.Length);
                    buffer.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Flush' throws (pinned by 'PinnedBuffer')"));

    [Fact]
    public Task StructOwnerReleasedByFree()
        => Verify.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{StructOwner}}

            static class Native
            {
                [DllImport("libc")] private static extern void use(nint p);

                public static void Leak(byte[] data)
                {
                    var pin = {|#0:new Pinned(data)|};
                    use(pin.Address);
                }

                public static void Freed(byte[] data)
                {
                    var pin = new Pinned(data);
                    try
                    {
                        use(pin.Address);
                    }
                    finally
                    {
                        pin.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed (pinned by 'Pinned')"));

    [Fact]
    public Task ExtensionAndFactoryMethods()
        => Verify.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{ClassOwner}}

            static class Pins
            {
                public static PinnedBuffer Pin(this byte[] array) => new(array);

                public static PinnedBuffer Create(byte[] array)
                {
                    var buffer = new PinnedBuffer(array);
                    return buffer;
                }

                // A factory: its callers are judged (PinHandle below), not its own return.
                public static GCHandle PinHandle(object value) => GCHandle.Alloc(value, GCHandleType.Pinned);
            }

            static class Native
            {
                [DllImport("libc")] private static extern void use(nint p);

                public static void Leaks(byte[] a, byte[] b, byte[] c)
                {
                    var x = {|#0:a.Pin()|};
                    use(x.Pointer);
                    var y = {|#1:Pins.Create(b)|};
                    use(y.Pointer);
                    var z = {|#2:Pins.PinHandle(c)|};
                    use(z.AddrOfPinnedObject());
                }

                public static void Clean(byte[] a, byte[] c)
                {
                    using (var x = a.Pin())
                    {
                        use(x.Pointer);
                    }

                    var z = Pins.PinHandle(c);
                    use(z.AddrOfPinnedObject());
                    z.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'PinnedBuffer')"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is never disposed (pinned by 'PinnedBuffer')"),
            Verify.Diagnostic("PIN1002").WithLocation(2).WithArguments("is never freed (pinned by 'PinHandle')"));

    [Fact]
    public Task OwnersInALoop()
        => Verify.VerifyAsync($$"""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            {{ClassOwner}}

            static class Native
            {
                [DllImport("libc")] private static extern void use(nint p);

                private static readonly List<PinnedBuffer> s_all = new();

                public static void Pile(byte[][] arrays)
                {
                    foreach (var array in arrays)
                    {
                        s_all.Add({|#0:new PinnedBuffer(array)|});
                    }
                }

                public static void OnePerIteration(byte[][] arrays)
                {
                    foreach (var array in arrays)
                    {
                        using var buffer = new PinnedBuffer(array);
                        use(buffer.Pointer);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 's_all' (pinned by 'PinnedBuffer')"));

    [Fact]
    public Task OwnerKeptByATypeThatNeverDisposesIt()
        => Verify.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{ClassOwner}}

            sealed class Leaky
            {
                private readonly PinnedBuffer _buffer;

                public Leaky(byte[] data) => _buffer = {|#0:new PinnedBuffer(data)|};

                public nint Address => _buffer.Pointer;
            }

            sealed class Careful : System.IDisposable
            {
                private readonly PinnedBuffer _buffer;
                private PinnedBuffer? _other;

                public Careful(byte[] data) => _buffer = new PinnedBuffer(data);

                public void Attach(byte[] data) => _other = new PinnedBuffer(data);

                public void Dispose()
                {
                    _buffer.Dispose();
                    _other?.Dispose();
                }
            }

            static class Factory
            {
                public static Careful Make(byte[] data) => new Careful(data);

                public static Wrapper Wrap(byte[] data) => new Wrapper(new PinnedBuffer(data));
            }

            sealed class Wrapper
            {
                public Wrapper(PinnedBuffer buffer) { }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_buffer', which 'Leaky' never disposes (pinned by 'PinnedBuffer')"));

    [Fact]
    public Task ConversionOperator()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using System.Text;

            sealed class FixedUtf8String : System.IDisposable
            {
                private GCHandle _handle;

                private FixedUtf8String(byte[] bytes) => _handle = {|PIN1001:GCHandle.Alloc(bytes, GCHandleType.Pinned)|};

                public nint Pointer => _handle.AddrOfPinnedObject();

                public static implicit operator FixedUtf8String(string text) => new(Encoding.UTF8.GetBytes(text + "\0"));

                public void Dispose() => _handle.Free();
            }

            static class Native
            {
                [DllImport("libc")] private static extern void puts(nint s);

                public static void Leak()
                {
                    FixedUtf8String s = {|#0:"name"|};
                    puts(s.Pointer);
                }

                public static void Clean()
                {
                    using FixedUtf8String s = "name";
                    puts(s.Pointer);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'FixedUtf8String')"));

    [Fact]
    public Task DisposePatternAndConstructorHelper()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            abstract class Disposable : IDisposable
            {
                public void Dispose()
                {
                    Dispose(true);
                    GC.SuppressFinalize(this);
                }

                protected abstract void Dispose(bool disposing);
            }

            // The Dispose(bool) pattern: the base's Dispose() releases through the override.
            sealed class PinnedObject : Disposable
            {
                public GCHandle Pinned { get; private set; }

                public PinnedObject(object value) => Pinned = {|PIN1001:GCHandle.Alloc(value, GCHandleType.Pinned)|};

                protected override void Dispose(bool disposing)
                {
                    if (Pinned.IsAllocated)
                    {
                        Pinned.Free();
                    }
                }
            }

            // The constructor pins through its own helper.
            sealed class PinnedArray<T> : IDisposable
            {
                private readonly T[] _array;
                private GCHandle _handle;

                public PinnedArray(int count)
                {
                    _array = new T[count];
                    Init();
                }

                private void Init() => _handle = {|PIN1001:GCHandle.Alloc(_array, GCHandleType.Pinned)|};

                public void Dispose() => _handle.Free();
            }

            static class Native
            {
                public static void Leak(byte[] data)
                {
                    var a = {|#0:new PinnedObject(data)|};
                    var b = {|#1:new PinnedArray<int>(16)|};
                }

                public static void Clean(byte[] data)
                {
                    using var a = new PinnedObject(data);
                    using var b = new PinnedArray<int>(16);
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never disposed (pinned by 'PinnedObject')"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is never disposed (pinned by 'PinnedArray')"));

    [Fact]
    public Task NotASummaryStaysSilent()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            // Pins in its constructor and never frees: its own Alloc is the finding, its users are not.
            sealed class NeverFrees
            {
                private GCHandle _handle;

                public NeverFrees(byte[] array) => _handle = {|PIN1001:GCHandle.Alloc(array, GCHandleType.Pinned)|};

                public nint Pointer => _handle.AddrOfPinnedObject();

                public void Dispose() { }
            }

            // Frees a handle it did not pin: not an owner.
            sealed class Adopts : System.IDisposable
            {
                private GCHandle _handle;

                public Adopts(GCHandle handle) => _handle = handle;

                public void Dispose() => _handle.Free();
            }

            static class Helpers
            {
                // Two return shapes.
                public static GCHandle Maybe(byte[] array, bool pin)
                {
                    if (pin)
                    {
                        return {|PIN1001:GCHandle.Alloc(array, GCHandleType.Pinned)|};
                    }

                    return GCHandle.Alloc(array, GCHandleType.Normal);
                }

                // Recursion.
                public static GCHandle Again(byte[] array, int n) => n == 0 ? default : Again(array, n - 1);
            }

            static class Native
            {
                [DllImport("libc")] private static extern void use(nint p);

                public static void Use(byte[] data, GCHandle handle)
                {
                    var a = new NeverFrees(data);
                    use(a.Pointer);
                    var b = new Adopts(handle);
                    var c = Helpers.Maybe(data, true);
                    var d = Helpers.Again(data, 3);
                }
            }
            """);

    [Fact]
    public Task MemoryHandleHelpersReportInTheMemoryFamily()
        => VerifyMemory.VerifyAsync("""
            using System;
            using System.Buffers;

            static class Pins
            {
                public static MemoryHandle PinAll(Memory<byte> memory) => memory.Pin();
            }

            sealed class PinnedMemory : IDisposable
            {
                private MemoryHandle _handle;

                public PinnedMemory(Memory<byte> memory) => _handle = {|PIN3001:memory.Pin()|};

                public void Dispose() => _handle.Dispose();
            }

            static class Native
            {
                public static void Leak(Memory<byte> a, Memory<byte> b)
                {
                    var h = {|#0:Pins.PinAll(a)|};
                    var o = {|#1:new PinnedMemory(b)|};
                }

                public static void Clean(Memory<byte> a, Memory<byte> b)
                {
                    using var h = Pins.PinAll(a);
                    using var o = new PinnedMemory(b);
                }
            }
            """,
            VerifyMemory.Diagnostic("PIN3002").WithLocation(0).WithArguments("is never disposed (pinned by 'PinAll')"),
            VerifyMemory.Diagnostic("PIN3002").WithLocation(1).WithArguments("is never disposed (pinned by 'PinnedMemory')"));
    private const string Utf8Owner = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        internal sealed class Utf8 : IDisposable
        {
            private readonly byte[] _bytes;
            private GCHandle _handle;
            public Utf8(string s) { _bytes = new byte[s.Length + 1]; _handle = {|#9:GCHandle.Alloc(_bytes, GCHandleType.Pinned)|}; }
            public void Dispose() => _handle.Free();
            public static implicit operator Utf8(string s) => new Utf8(s);
        }

        """;

    [Fact]
    public Task OwnersInStaticHoldersAreReportedOnlyWhereTheyPin()
        => Verify.VerifyAsync(Utf8Owner + """
            internal static class Strings
            {
                public static Utf8 Main { get; } = "main";
                private static readonly Utf8 s_name = new Utf8("name");
            }

            internal sealed class Device
            {
                private Utf8? _name;

                public void Rename(string name) => _name = {|#0:name|};
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(9).WithArguments("it is stored in field '_handle'"),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_name', which 'Device' never disposes (pinned by 'Utf8')"));

    [Fact]
    public Task OwnerInAFieldAndInACollectionTheTypeReleases_NotReported()
        => Verify.VerifyAsync(Utf8Owner + """
            internal sealed class Table : IDisposable
            {
                private readonly List<Utf8> _all = new List<Utf8>();
                private readonly List<Utf8> _kept = new List<Utf8>();
                private Utf8? _current;
                private Utf8? _other;

                public void Add(string s)
                {
                    _current = new Utf8(s);
                    _all.Add(_current);
                }

                public void Keep(string s)
                {
                    _other = {|#0:new Utf8(s)|};
                    _kept.Add(_other);
                }

                public void Dispose()
                {
                    foreach (var item in _all)
                    {
                        item.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(9).WithArguments("it is stored in field '_handle'"),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_other', which 'Table' never disposes (pinned by 'Utf8')"));
    [Fact]
    public Task DeviceBuffersInSlotsOfAnArrayTheTypeDisposes_NotPIN1003()
        => Verify.VerifyAsync(Utf8Owner + """
            internal sealed class WaveIn : IDisposable
            {
                private Utf8[] buffers = new Utf8[0];
                private Utf8[] leaked = new Utf8[0];
                private readonly List<Utf8> history = new List<Utf8>();

                public int NumberOfBuffers { get; set; } = 3;

                public void Open()
                {
                    buffers = new Utf8[NumberOfBuffers];
                    for (int n = 0; n < buffers.Length; n++)
                    {
                        buffers[n] = new Utf8("buffer");
                    }
                }

                private Utf8[] spares = new Utf8[0];

                public void OpenSpares(int count)
                {
                    spares = new Utf8[count];
                    for (int n = 0; n < spares.Length; n++)
                    {
                        spares[n] = new Utf8("spare");
                    }
                }

                public void CloseSpares()
                {
                    foreach (var spare in spares)
                    {
                        spare?.Dispose();
                    }
                }

                public void OpenLeaky()
                {
                    leaked = new Utf8[NumberOfBuffers];
                    for (int n = 0; n < leaked.Length; n++)
                    {
                        leaked[n] = {|#0:new Utf8("buffer")|};
                    }
                }

                public void Record(int count)
                {
                    for (int n = 0; n < count; n++)
                    {
                        history.Add({|#1:new Utf8("take")|});
                    }
                }

                public void Dispose()
                {
                    for (int n = 0; n < buffers.Length; n++)
                    {
                        buffers[n].Dispose();
                    }

                    foreach (var take in history)
                    {
                        take?.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(9).WithArguments("it is stored in field '_handle'"),
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element (pinned by 'Utf8')"),
            Verify.Diagnostic("PIN1003").WithLocation(1).WithArguments("added to collection 'history' (pinned by 'Utf8')"));
}
