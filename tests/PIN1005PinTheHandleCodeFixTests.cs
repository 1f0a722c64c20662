using Xunit;
using Fix = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.PinTheHandleCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN1005PinTheHandleCodeFixTests
{
    private const string Key = PinAnalyzers.CodeFixes.PinTheHandleCodeFix.EquivalenceKey;

    [Fact]
    public Task NormalBecomesPinned()
        => Fix.VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer, GCHandleType.Normal);
                    try
                    {
                        Marshal.WriteByte({|PIN1005:handle.AddrOfPinnedObject()|}, 0, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(byte[] buffer)
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
                }
            }
            """, Key);

    [Fact]
    public Task OneArgumentOverloadGetsPinned()
        => Fix.VerifyFixAsync("""
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(byte[] buffer)
                {
                    var handle = GCHandle.Alloc(buffer);
                    try
                    {
                        Marshal.WriteByte({|PIN1005:handle.AddrOfPinnedObject()|}, 0, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, """
            using System.Runtime.InteropServices;

            static class Native
            {
                public static void Fill(byte[] buffer)
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
                }
            }
            """, Key);

    [Fact]
    public Task FullyQualifiedWeakBecomesPinned()
        => Fix.VerifyFixAsync("""
            static class Native
            {
                public static void Fill(byte[] buffer)
                {
                    var handle = System.Runtime.InteropServices.GCHandle.Alloc(buffer, System.Runtime.InteropServices.GCHandleType.Weak);
                    try
                    {
                        System.Runtime.InteropServices.Marshal.WriteByte({|PIN1005:handle.AddrOfPinnedObject()|}, 0, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, """
            static class Native
            {
                public static void Fill(byte[] buffer)
                {
                    var handle = System.Runtime.InteropServices.GCHandle.Alloc(buffer, System.Runtime.InteropServices.GCHandleType.Pinned);
                    try
                    {
                        System.Runtime.InteropServices.Marshal.WriteByte(handle.AddrOfPinnedObject(), 0, 1);
                    }
                    finally
                    {
                        handle.Free();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task FixAllPinsEveryAllocationOnce()
        => Fix.VerifyFixAllAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device : IDisposable
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = GCHandle.Alloc(buffer, GCHandleType.Normal);

                public IntPtr Head => {|PIN1005:_handle.AddrOfPinnedObject()|};

                public IntPtr Tail => {|PIN1005:_handle.AddrOfPinnedObject()|} + 16;

                public void Dispose() => _handle.Free();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Device : IDisposable
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public IntPtr Head => _handle.AddrOfPinnedObject();

                public IntPtr Tail => _handle.AddrOfPinnedObject() + 16;

                public void Dispose() => _handle.Free();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;

            sealed class Device : IDisposable
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public IntPtr Head => _handle.AddrOfPinnedObject();

                public IntPtr Tail => _handle.AddrOfPinnedObject() + 16;

                public void Dispose() => _handle.Free();
            }
            """, Key, iterations: 1);
}
