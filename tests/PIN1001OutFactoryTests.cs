using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// A factory that hands a fresh pin to its caller through an <c>out</c> parameter (NAudio's
/// <c>AsIntPtr(values, out GCHandle handle)</c>): the caller owns the handle, so the factory's own site is not PIN1001.
/// Anything else the pin reaches (a field, a collection, a loop that pins again) keeps the finding.
/// </summary>
public sealed class PIN1001OutFactoryTests
{
    [Fact]
    public Task HandleHandedOutThroughOutParameter()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            static class Native { [DllImport("asio")] public static extern void Use(IntPtr p); }

            static class Pins
            {
                public static IntPtr AsIntPtr(int[] values, out GCHandle handle)
                {
                    handle = GCHandle.Alloc(values, GCHandleType.Pinned);
                    return handle.AddrOfPinnedObject();
                }

                public static void AddressToo(int[] values, out GCHandle handle, out IntPtr address)
                {
                    var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
                    address = pin.AddrOfPinnedObject();
                    handle = pin;
                }

                public static bool TryPin(byte[] buffer, out GCHandle handle)
                {
                    handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    if (buffer.Length == 0)
                    {
                        handle.Free();
                        return false;
                    }

                    return true;
                }

                public static void Caller(int[] v)
                {
                    var p = AsIntPtr(v, out var pin);
                    try { Native.Use(p); }
                    finally { pin.Free(); }
                }
            }
            """);

    [Fact]
    public Task HandedOutAndKeptElsewhereIsStillPIN1001()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pins
            {
                private GCHandle _last;
                private readonly List<GCHandle> _all = new();

                public IntPtr AlsoInField(int[] values, out GCHandle handle)
                {
                    handle = {|#0:GCHandle.Alloc(values, GCHandleType.Pinned)|};
                    _last = handle;
                    return handle.AddrOfPinnedObject();
                }

                public void AlsoInList(int[] values, out GCHandle handle)
                {
                    handle = {|#1:GCHandle.Alloc(values, GCHandleType.Pinned)|};
                    _all.Add(handle);
                }

                public static void OnlyTheAddress(int[] values, out IntPtr address)
                {
                    var pin = {|#2:GCHandle.Alloc(values, GCHandleType.Pinned)|};
                    address = pin.AddrOfPinnedObject();
                }

                public static void EveryIteration(int[][] values, out GCHandle handle)
                {
                    handle = default;
                    foreach (var v in values)
                    {
                        handle = {|#3:GCHandle.Alloc(v, GCHandleType.Pinned)|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is written to out parameter 'handle'"),
            Verify.Diagnostic("PIN1001").WithLocation(1).WithArguments("it is written to out parameter 'handle'"),
            Verify.Diagnostic("PIN1001").WithLocation(2).WithArguments("its address is written to out parameter 'address'"),
            Verify.Diagnostic("PIN1001").WithLocation(3).WithArguments("it is written to out parameter 'handle'"));
    [Fact]
    public Task HandleHandedOutInAStructOutParameter()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;

            unsafe struct PinnedMemory
            {
                internal byte* _pointer;
                internal GCHandle _handle;
                internal int _size;

                public static void Rent(out PinnedMemory memory, int size)
                {
                    var array = new byte[size];
                    var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
                    memory._pointer = (byte*)handle.AddrOfPinnedObject();
                    memory._handle = handle;
                    memory._size = size;
                }

                public static void Keep(ref PinnedMemory memory, int size)
                {
                    var handle = {|#0:GCHandle.Alloc(new byte[size], GCHandleType.Pinned)|};
                    memory._handle = handle;
                }

                public void Free() => _handle.Free();
            }
            """,
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in field '_handle'"));
}
