using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN1005: <c>AddrOfPinnedObject()</c> on a handle whose allocation — in the method for a local, in the type for a
/// field — is provably not Pinned (it throws at run time). Reported on the <c>AddrOfPinnedObject</c> call; the
/// arguments are the handle's name and its kind.
/// </summary>
public sealed class PIN1005AddressOfUnpinnedHandleTests
{
    /// <summary>
    /// PIN1005 on markup location <paramref name="location"/>. The design fixes only the primary location (the
    /// <c>AddrOfPinnedObject</c> call); where the allocation is pointed at, as an additional location, is not checked.
    /// </summary>
    private static DiagnosticResult Pin1005(int location)
        => Verify.Diagnostic("PIN1005").WithLocation(location).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task LocalNormalHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, GCHandleType.Normal);
                    try
                    {
                        return {|#0:handle.AddrOfPinnedObject()|};
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Normal"));

    [Fact]
    public Task LocalWeakHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, GCHandleType.Weak);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Weak"));

    [Fact]
    public Task LocalWeakTrackResurrectionHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var tracker = GCHandle.Alloc(state, GCHandleType.WeakTrackResurrection);
                    var address = {|#0:tracker.AddrOfPinnedObject()|};
                    tracker.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("tracker", "WeakTrackResurrection"));

    [Fact]
    public Task LocalOneArgumentOverloadIsNormal()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                [DllImport("libc")] private static extern int use(IntPtr p);

                public static void Use(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer);
                    use({|#0:handle.AddrOfPinnedObject()|});
                    handle.Free();
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Normal"));

    [Fact]
    public Task LocalDeclaredThenAssigned()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    GCHandle handle;
                    handle = GCHandle.Alloc(state, GCHandleType.Normal);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Normal"));

    [Fact]
    public Task FullyQualifiedNames()
        => Verify.VerifyAsync("""
            static class Probe
            {
                public static System.IntPtr Address(object state)
                {
                    var handle = System.Runtime.InteropServices.GCHandle.Alloc(state, System.Runtime.InteropServices.GCHandleType.Weak);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Weak"));

    [Fact]
    public Task NamedArgumentsInAnyOrder()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(type: GCHandleType.Normal, value: state);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Normal"));

    [Fact]
    public Task HandleTypeImportedWithUsingStatic()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using static System.Runtime.InteropServices.GCHandleType;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, Weak);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Weak"));

    [Fact]
    public Task HandleTypeFromConstant()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                private const GCHandleType Kind = GCHandleType.Normal;

                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, Kind);
                    var address = {|#0:handle.AddrOfPinnedObject()|};
                    handle.Free();
                    return address;
                }
            }
            """,
            Pin1005(0).WithArguments("handle", "Normal"));

    [Fact]
    public Task FieldAllocatedNormalInConstructor()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Cache : IDisposable
            {
                private GCHandle _handle;

                public Cache(object state)
                {
                    _handle = GCHandle.Alloc(state, GCHandleType.Normal);
                }

                public IntPtr Address => {|#0:_handle.AddrOfPinnedObject()|};

                public void Dispose() => _handle.Free();
            }
            """,
            Pin1005(0).WithArguments("_handle", "Normal"));

    [Fact]
    public Task FieldInitializerWeakAccessedThroughThis()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Cache
            {
                private static readonly object s_state = new();
                private readonly GCHandle _handle = GCHandle.Alloc(s_state, GCHandleType.Weak);

                public IntPtr Address() => {|#0:this._handle.AddrOfPinnedObject()|};
            }
            """,
            Pin1005(0).WithArguments("_handle", "Weak"));

    [Fact]
    public Task StaticFieldOneArgumentOverload()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Registry
            {
                private static GCHandle s_root;

                public static void Start(object state) => s_root = GCHandle.Alloc(state);

                public static IntPtr Address() => {|#0:s_root.AddrOfPinnedObject()|};
            }
            """,
            Pin1005(0).WithArguments("s_root", "Normal"));

    [Fact]
    public Task FieldAllocatedNormalInTwoPlaces()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Cache
            {
                private GCHandle _handle;

                public void Track(object state) => _handle = GCHandle.Alloc(state);

                public void Watch(object state) => _handle = GCHandle.Alloc(state, GCHandleType.Normal);

                public IntPtr Address() => {|#0:_handle.AddrOfPinnedObject()|};
            }
            """,
            Pin1005(0).WithArguments("_handle", "Normal"));

    // ---- valid code: no PIN1005 ----

    [Fact]
    public Task PinnedLocalHandle()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                [DllImport("libc")] private static extern int use(IntPtr p);

                public static void Use(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        use(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task PinnedFieldHandleOnPinnedObjectHeap()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(4096, pinned: true);
                private GCHandle _handle;

                public Ring() => _handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);

                public IntPtr Address => _handle.AddrOfPinnedObject();
            }
            """);

    [Fact]
    public Task VariableHandleTypeIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state, GCHandleType type)
                {
                    var handle = GCHandle.Alloc(state, type);
                    var address = handle.AddrOfPinnedObject();
                    handle.Free();
                    return address;
                }
            }
            """);

    [Fact]
    public Task HandleFromParameterIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(GCHandle handle) => handle.AddrOfPinnedObject();

                public static IntPtr AddressOfCopy(GCHandle handle)
                {
                    var local = handle;
                    return local.AddrOfPinnedObject();
                }
            }
            """);

    [Fact]
    public Task HandleFromIntPtrIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Callback
            {
                public static IntPtr Address(IntPtr cookie)
                {
                    var handle = GCHandle.FromIntPtr(cookie);
                    return handle.AddrOfPinnedObject();
                }
            }
            """);

    [Fact]
    public Task FieldPinnedInOnePlaceAndNormalInAnother()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public void Pin(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public void Track(object state) => _handle = GCHandle.Alloc(state, GCHandleType.Normal);

                public IntPtr Address() => _handle.AddrOfPinnedObject();
            }
            """);

    [Fact]
    public Task FieldPinnedThroughAnotherInstanceOfTheType()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Node
            {
                private GCHandle _handle;

                private Node(object state) => _handle = GCHandle.Alloc(state);

                public static Node Pinned(byte[] buffer)
                {
                    var node = new Node(buffer);
                    node._handle.Free();
                    node._handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    return node;
                }

                public IntPtr Address => _handle.AddrOfPinnedObject();
            }
            """);

    [Fact]
    public Task FieldAssignedFromParameterIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Holder
            {
                private GCHandle _handle;

                public void Track(object state) => _handle = GCHandle.Alloc(state, GCHandleType.Normal);

                public void Adopt(GCHandle handle) => _handle = handle;

                public IntPtr Address() => _handle.AddrOfPinnedObject();
            }
            """);

    [Fact]
    public Task LocalReallocatedPinnedBeforeTheCall()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                [DllImport("libc")] private static extern int use(IntPtr p);

                public static void Use(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Normal);
                    handle.Free();
                    handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        use(handle.AddrOfPinnedObject());
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """);

    [Fact]
    public Task LocalOverwrittenThroughOutArgumentIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                [DllImport("libc")] private static extern int use(IntPtr p);

                private static void Lookup(int id, out GCHandle handle) => handle = default;

                public static void Use(object state, int id)
                {
                    var handle = GCHandle.Alloc(state);
                    handle.Free();
                    Lookup(id, out handle);
                    use(handle.AddrOfPinnedObject());
                }
            }
            """);

    [Fact]
    public Task HandleFromHelperNamedLikeGCHandleIsUnknown()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class SafeGCHandle
            {
                public static GCHandle Alloc(byte[] buffer) => GCHandle.Alloc(buffer, GCHandleType.Pinned);
            }

            static class Probe
            {
                [DllImport("libc")] private static extern int use(IntPtr p);

                public static void Use(byte[] buffer)
                {
                    var handle = SafeGCHandle.Alloc(buffer);
                    try
                    {
                        use(handle.AddrOfPinnedObject());
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
    public Task HalfTypedHandleTypeDoesNotCrashOrReportNonsense()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, GCHandleType.);
                    return handle.AddrOfPinnedObject();
                }
            }
            """,
            "PIN1005", "PIN1004");

    [Fact]
    public Task MisspelledHandleTypeDoesNotReportNonsense()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Probe
            {
                public static IntPtr Address(object state)
                {
                    var handle = GCHandle.Alloc(state, GCHandleType.Pinnned);
                    return handle.AddrOfPinnedObject();
                }
            }
            """,
            "PIN1005");

    [Fact]
    public Task HalfTypedAddressCallDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Cache
            {
                private GCHandle _handle = GCHandle.Alloc(
                public IntPtr Address => _handle.AddrOfPinnedObject(
            """);
}
