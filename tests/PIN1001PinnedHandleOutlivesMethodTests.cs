using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN1001PinnedHandleOutlivesMethodTests
{
    [Fact]
    public Task HandleStoredInField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private GCHandle _handle;

                public Ring(byte[] buffer)
                {
                    _handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));

    [Fact]
    public Task HandleStoredInStaticField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                private static GCHandle s_handle;

                public static void Start(byte[] buffer)
                {
                    s_handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in static field 's_handle'"));

    [Fact]
    public Task HandleInFieldInitializer()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Pinned
            {
                private static readonly byte[] s_buffer = new byte[4096];
                private static GCHandle s_handle = {|#0:GCHandle.Alloc(s_buffer, GCHandleType.Pinned)|};
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in static field 's_handle'"));

    [Fact]
    public Task HandleStoredInProperty()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                public GCHandle Handle { get; set; }

                public void Pin(byte[] buffer)
                {
                    Handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in property 'Handle'"));

    [Fact]
    public Task HandleCopiedThroughLocalIntoField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public void Pin(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var copy = handle;
                    _handle = copy;
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));

    [Fact]
    public Task AddressStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private IntPtr _address;

                public void Map(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    _address = handle.AddrOfPinnedObject();
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_address'"));

    [Fact]
    public Task DerivedPointerStoredInField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe sealed class Device
            {
                private byte* _cursor;

                public void Map(byte[] buffer, int offset)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    byte* start = (byte*)handle.AddrOfPinnedObject().ToPointer();
                    _cursor = start + offset;
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_cursor'"));

    [Fact]
    public Task HandleStoredInArrayElement()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly GCHandle[] _handles = new GCHandle[4];

                public void Pin(int slot, byte[] buffer)
                {
                    _handles[slot] = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in an array element"));

    [Fact]
    public Task HandleAddedToCollection()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pool
            {
                private readonly List<GCHandle> _handles = new();

                public void Pin(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    _handles.Add(handle);
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is added to collection '_handles'"));

    [Fact]
    public Task HandleStoredInDictionaryIndexer()
        => Verify.VerifyAsync("""
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Registry
            {
                private readonly Dictionary<int, GCHandle> _byId = new();

                public void Pin(int id, byte[] buffer)
                {
                    _byId[id] = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in collection '_byId'"));

    [Fact]
    public Task HandleReturnedByAFactory_TheCallerIsJudged()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static GCHandle Pin(byte[] buffer)
                {
                    return GCHandle.Alloc(buffer, GCHandleType.Pinned);
                }

                public static GCHandle Cached(byte[] buffer, bool fresh)
                {
                    if (fresh)
                    {
                        return {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    }

                    return default;
                }

                public static void Use(byte[] buffer)
                {
                    var handle = {|#1:Pin(buffer)|};
                    System.Console.WriteLine(handle.AddrOfPinnedObject());
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is returned"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is never freed (pinned by 'Pin')"));

    [Fact]
    public Task AddressReturnedFromExpressionBody()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static IntPtr AddressOf(byte[] buffer) => {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|}.AddrOfPinnedObject();
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is returned"));

    [Fact]
    public Task HandleWrittenToRefParameter()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static void Repin(byte[] buffer, ref GCHandle handle)
                {
                    handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is written to ref parameter 'handle'"));

    [Fact]
    public Task HandleCapturedByLambda()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Pins
            {
                public static Task Start(byte[] buffer, Action<IntPtr> use)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    return Task.Run(() => use(handle.AddrOfPinnedObject()));
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is captured by a lambda"));

    [Fact]
    public Task AddressCapturedByLocalFunction()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static Func<IntPtr> Start(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    var address = handle.AddrOfPinnedObject();
                    return Current;

                    IntPtr Current() => address;
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is captured by local function 'Current'"));

    [Fact]
    public Task AddressYielded()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static IEnumerable<IntPtr> Addresses(byte[][] buffers)
                {
                    foreach (var buffer in buffers)
                    {
                        var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                        yield return handle.AddrOfPinnedObject();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is yielded"));

    [Fact]
    public Task HandleTokenStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Callback
            {
                private IntPtr _cookie;

                public void Register(byte[] state)
                {
                    var handle = {|#0:GCHandle.Alloc(state, GCHandleType.Pinned)|};
                    _cookie = GCHandle.ToIntPtr(handle);
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_cookie'"));

    [Fact]
    public Task TypedHandleStoredInField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private PinnedGCHandle<byte[]> _handle;

                public Ring(byte[] buffer)
                {
                    _handle = {|#0:new PinnedGCHandle<byte[]>(buffer)|};
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));

    [Fact]
    public Task TypedHandleArrayAddressStoredInField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe sealed class Ring
            {
                private byte* _data;

                public void Map(byte[] buffer)
                {
                    var handle = {|#0:new PinnedGCHandle<byte[]>(buffer)|};
                    _data = handle.GetAddressOfArrayData();
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_data'"));

    [Fact]
    public Task StoredInFieldAndFreedOnlyOnSomePaths()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public void Pin(byte[] buffer, bool shortLived)
                {
                    _handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    if (shortLived)
                    {
                        _handle.Free();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));

    [Fact]
    public Task EscapeWinsOverLeak_OneDiagnosticPerSite()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private IntPtr _address;

                public void Pin(byte[] buffer)
                {
                    var handle = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    _address = handle.AddrOfPinnedObject();
                    Console.WriteLine(_address);
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_address'"));

    // ---- valid code: no PIN1001 ----

    [Fact]
    public Task FieldHandleFreedOnEveryPathInSameMethod()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public void Run(byte[] buffer)
                {
                    _handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Use(_handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        _handle.Free();
                    }
                }

                private static void Use(System.IntPtr p) { }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapArrayInReadonlyField()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private readonly byte[] _buffer = System.GC.AllocateArray<byte>(4096, pinned: true);
                private GCHandle _handle;

                public Ring()
                {
                    _handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapArrayAssignedInConstructor()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private readonly byte[] _buffer;
                private IntPtr _address;

                public Ring(int size)
                {
                    _buffer = GC.AllocateUninitializedArray<byte>(size, pinned: true);
                    _address = GCHandle.Alloc(_buffer, GCHandleType.Pinned).AddrOfPinnedObject();
                }
            }
            """);

    [Fact]
    public Task PinnedObjectHeapArrayInLocal()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static GCHandle Pin(int size)
                {
                    var buffer = GC.AllocateArray<byte>(size, pinned: true);
                    return GCHandle.Alloc(buffer, GCHandleType.Pinned);
                }
            }
            """);

    [Fact]
    public Task ReadonlyFieldWithOrdinaryArrayIsStillReported()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private readonly byte[] _buffer = new byte[4096];
                private GCHandle _handle;

                public Ring()
                {
                    _handle = {|PIN1001:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
                }
            }
            """);

    [Fact]
    public Task MutableFieldWithPinnedObjectHeapArrayIsStillReported()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private byte[] _buffer = GC.AllocateArray<byte>(4096, pinned: true);
                private GCHandle _handle;

                public Ring() => _handle = {|PIN1001:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};

                public void Grow() => _buffer = new byte[8192];
            }
            """);

    [Fact]
    public Task NormalAndWeakHandlesAreNotPins()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _normal;
                private GCHandle _weak;
                private GCHandle _default;

                public Holder(object state)
                {
                    _normal = GCHandle.Alloc(state, GCHandleType.Normal);
                    _weak = GCHandle.Alloc(state, GCHandleType.Weak);
                    _default = GCHandle.Alloc(state);
                }
            }
            """);

    [Fact]
    public Task NonConstantHandleTypeIsNotReported()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public Holder(object state, GCHandleType type)
                {
                    _handle = GCHandle.Alloc(state, type);
                }
            }
            """);

    [Fact]
    public Task LambdaCaptureOfHandleFreedAfterSynchronousUse()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            static class Pins
            {
                public static void Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Parallel.For(0, 4, i => Marshal.WriteByte(handle.AddrOfPinnedObject(), i, 1));
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task PinMadeInsideLambdaAndFreedThere()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Pins
            {
                public static Action<byte[]> Writer() => buffer =>
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        Marshal.WriteByte(handle.AddrOfPinnedObject(), 0, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                };
            }
            """);
    [Fact]
    public Task PinMadeInAFinallyAgainstAsyncExceptions_JudgedAfterTheTryStatement()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            public sealed class PinnedArray<T> : IDisposable where T : struct
            {
                private GCHandle handle;

                public IntPtr CreateArray(T[] array)
                {
                    FreeHandle();
                    try
                    {
                    }
                    finally
                    {
                        handle = {|#0:GCHandle.Alloc(array, GCHandleType.Pinned)|};
                    }

                    return handle.AddrOfPinnedObject();
                }

                public static int Leaks(T[] array, Func<IntPtr, int> use)
                {
                    GCHandle local = default;
                    try
                    {
                    }
                    finally
                    {
                        local = {|#1:GCHandle.Alloc(array, GCHandleType.Pinned)|};
                    }

                    return use(local.AddrOfPinnedObject());
                }

                public static int Freed(T[] array, Func<IntPtr, int> use)
                {
                    GCHandle local = default;
                    try
                    {
                    }
                    finally
                    {
                        local = GCHandle.Alloc(array, GCHandleType.Pinned);
                    }

                    try
                    {
                        return use(local.AddrOfPinnedObject());
                    }
                    finally
                    {
                        local.Free();
                    }
                }

                public void Dispose() => FreeHandle();

                private void FreeHandle()
                {
                    if (handle.IsAllocated) handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field 'handle'"),
            Verify.Diagnostic("PIN1002").WithLocation(1).WithArguments("is never freed"));
}
