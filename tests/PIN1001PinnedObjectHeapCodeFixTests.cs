using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.AllocateOnPinnedObjectHeapCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN1001PinnedObjectHeapCodeFixTests
{
    private const string Key = AllocateOnPinnedObjectHeapCodeFix.EquivalenceKey;

    [Fact]
    public Task ArrayField_AllocatedOnThePinnedObjectHeap()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private readonly byte[] _buffer;
                private GCHandle _handle;
                private IntPtr _address;

                public Ring(int size)
                {
                    _buffer = new byte[size];
                    _handle = {|PIN1001:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
                    _address = _handle.AddrOfPinnedObject();
                }

                public IntPtr Address => _address;

                public void Dispose() { if (_handle.IsAllocated) _handle.Free(); }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private readonly byte[] _buffer;
                private IntPtr _address;

                public Ring(int size)
                {
                    _buffer = GC.AllocateArray<byte>(size, pinned: true);
                    _address = Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0);
                }

                public IntPtr Address => _address;

                public void Dispose() { }
            }
            """, Key);

    [Fact]
    public Task InlineArray_KeptInANewReadonlyField()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private GCHandle _handle;

                public Ring(int size)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
                }

                public IntPtr Address => _handle.AddrOfPinnedObject();

                public bool IsOpen => _handle.IsAllocated;

                public void Dispose() => _handle.Free();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring : IDisposable
            {
                private readonly byte[] _pinnedBuffer;

                public Ring(int size)
                {
                    _pinnedBuffer = GC.AllocateArray<byte>(size, pinned: true);
                }

                public IntPtr Address => Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer, 0);

                public bool IsOpen => _pinnedBuffer is not null;

                public void Dispose()
                {
                }
            }
            """, Key);

    [Fact]
    public Task ArrayInALocal_PinnedInAMethod_NullableField()
        => Verify.VerifyFixAsync("""
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public void Open(int size)
                {
                    var buffer = new byte[size];
                    buffer[0] = 1;
                    _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }

                public IntPtr Address
                {
                    get
                    {
                        if (!_handle.IsAllocated) throw new InvalidOperationException("not open");
                        return _handle.AddrOfPinnedObject();
                    }
                }

                public void Close()
                {
                    if (_handle.IsAllocated)
                    {
                        _handle.Free();
                        _handle = default;
                    }
                }
            }
            """, """
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private byte[]? _pinnedBuffer;

                public void Open(int size)
                {
                    var buffer = GC.AllocateArray<byte>(size, pinned: true);
                    buffer[0] = 1;
                    _pinnedBuffer = buffer;
                }

                public IntPtr Address
                {
                    get
                    {
                        if (_pinnedBuffer is null) throw new InvalidOperationException("not open");
                        return Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer!, 0);
                    }
                }

                public void Close()
                {
                }
            }
            """, Key);

    [Fact]
    public Task StaticFieldInitializers()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Scratch
            {
                private static readonly byte[] s_buffer = new byte[4096];
                private static GCHandle s_handle = {|PIN1001:GCHandle.Alloc(s_buffer, GCHandleType.Pinned)|};

                public static IntPtr Address => s_handle.AddrOfPinnedObject();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            static class Scratch
            {
                private static readonly byte[] s_buffer = GC.AllocateArray<byte>(4096, pinned: true);

                public static IntPtr Address => Marshal.UnsafeAddrOfPinnedArrayElement(s_buffer, 0);
            }
            """, Key);

    [Fact]
    public Task InlineArrayInAFieldInitializer_AddsUsingSystem()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            sealed class Mailbox
            {
                private GCHandle _handle = {|PIN1001:GCHandle.Alloc(new int[16], GCHandleType.Pinned)|};

                public nint Slots => _handle.AddrOfPinnedObject();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Mailbox
            {
                private readonly int[] _pinnedBuffer = GC.AllocateArray<int>(16, pinned: true);

                public nint Slots => Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer, 0);
            }
            """, Key);

    [Fact]
    public Task TypedHandleField()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Ring : IDisposable
            {
                private readonly byte[] _buffer = new byte[256];
                private PinnedGCHandle<byte[]> _handle;

                public Ring()
                {
                    _handle = {|PIN1001:new PinnedGCHandle<byte[]>(_buffer)|};
                }

                public byte* Data => _handle.GetAddressOfArrayData();

                public void Dispose()
                {
                    _handle.Dispose();
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Ring : IDisposable
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(256, pinned: true);

                public Ring()
                {
                }

                public byte* Data => (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0);

                public void Dispose()
                {
                }
            }
            """, Key);

    [Fact]
    public Task HandleDeclaredWithAnotherField_OnlyItsDeclaratorGoes()
        => Verify.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Pair
            {
                private GCHandle _handle, _other;
                private IntPtr _address;

                public Pair(int size)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(new ushort[size], GCHandleType.Pinned)|};
                    _address = _handle.AddrOfPinnedObject();
                    _other = default;
                }

                public void Reset()
                {
                    _handle.Free();
                    _handle = default;
                    _other = default;
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Pair
            {
                private readonly ushort[] _pinnedBuffer;
                private GCHandle _other;
                private IntPtr _address;

                public Pair(int size)
                {
                    _pinnedBuffer = GC.AllocateArray<ushort>(size, pinned: true);
                    _address = Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer, 0);
                    _other = default;
                }

                public void Reset()
                {
                    _other = default;
                }
            }
            """, Key);

    // ---- Fix All ----

    [Fact]
    public Task FixAll_TwoClassesAndTwoHandlesInOneClass()
        => Verify.VerifyFixAllAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Duplex : IDisposable
            {
                private GCHandle _send;
                private GCHandle _receive;

                public Duplex(int size)
                {
                    _send = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
                    _receive = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
                }

                public IntPtr Send => _send.AddrOfPinnedObject();

                public IntPtr Receive => _receive.AddrOfPinnedObject();

                public void Dispose()
                {
                    _send.Free();
                    _receive.Free();
                }
            }

            sealed class Ring
            {
                private readonly long[] _slots = new long[64];
                private GCHandle _handle;

                public Ring() => _handle = {|PIN1001:GCHandle.Alloc(_slots, GCHandleType.Pinned)|};

                public IntPtr Slots => _handle.AddrOfPinnedObject();
            }
            """, FixAllResult, FixAllResult, Key, iterations: 3);

    private const string FixAllResult = """
        using System;
        using System.Runtime.InteropServices;

        sealed class Duplex : IDisposable
        {
            private readonly byte[] _pinnedBuffer;
            private readonly byte[] _pinnedBuffer2;

            public Duplex(int size)
            {
                _pinnedBuffer = GC.AllocateArray<byte>(size, pinned: true);
                _pinnedBuffer2 = GC.AllocateArray<byte>(size, pinned: true);
            }

            public IntPtr Send => Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer, 0);

            public IntPtr Receive => Marshal.UnsafeAddrOfPinnedArrayElement(_pinnedBuffer2, 0);

            public void Dispose()
            {
            }
        }

        sealed class Ring
        {
            private readonly long[] _slots = GC.AllocateArray<long>(64, pinned: true);

            public Ring()
            {
            }

            public IntPtr Slots => Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        }
        """;

    // ---- already on the Pinned Object Heap: no diagnostic, nothing to fix ----

    [Fact]
    public Task AlreadyOnThePinnedObjectHeap_NoDiagnosticNoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private readonly byte[] _buffer = GC.AllocateArray<byte>(4096, pinned: true);
                private GCHandle _handle;

                public Ring()
                {
                    _handle = GCHandle.Alloc(_buffer, GCHandleType.Pinned);
                }
            }
            """);

    // ---- shapes with no fix ----

    [Fact]
    public Task ArrayFromTheCaller_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.InteropServices;

            sealed class Ring
            {
                private GCHandle _handle;

                public Ring(byte[] buffer)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                }
            }
            """);

    [Fact]
    public Task HandleFieldNotPrivateOrUsedElsewhere_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Shared
            {
                internal GCHandle Handle;

                public Shared(int size) => Handle = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
            }

            sealed class Cookie
            {
                private GCHandle _handle;

                public Cookie(int size) => _handle = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};

                public IntPtr Token => GCHandle.ToIntPtr(_handle);
            }
            """);

    [Fact]
    public Task ArrayFieldReassignedOutsideConstructors_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Growing
            {
                private byte[] _buffer = new byte[16];
                private GCHandle _handle;
                private IntPtr _address;

                public void Pin()
                {
                    _handle = {|PIN1001:GCHandle.Alloc(_buffer, GCHandleType.Pinned)|};
                    _address = _handle.AddrOfPinnedObject();
                }

                public void Grow() => _buffer = new byte[_buffer.Length * 2];
            }
            """);

    [Fact]
    public Task ElementTypeWithReferences_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.InteropServices;

            sealed class Names
            {
                private GCHandle _handle;

                public Names(int count)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(new string[count], GCHandleType.Pinned)|};
                }
            }
            """);

    [Fact]
    public Task PartialTypeInTwoParts_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            partial class Ring
            {
                private GCHandle _handle;

                public Ring(int size) => _handle = {|PIN1001:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
            }

            partial class Ring
            {
                public IntPtr Address => _handle.AddrOfPinnedObject();
            }
            """);
}
