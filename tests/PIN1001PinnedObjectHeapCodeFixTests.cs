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
}
