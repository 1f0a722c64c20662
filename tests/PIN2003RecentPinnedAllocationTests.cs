using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.UnsafeAsPointerAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// A field that is not "readonly, every assignment POH" but was assigned a Pinned Object Heap array by an earlier
/// statement of the same block, with nothing in between that could assign it again (FASTER's SectorAlignedMemory).
/// </summary>
public sealed class PIN2003RecentPinnedAllocationTests
{
    private static string Aligned(string body) => $$"""
        using System;
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;

        unsafe class Aligned
        {
            internal byte[] buffer = Array.Empty<byte>();
            internal static byte[] s_shared = Array.Empty<byte>();
            internal byte* aligned;
            private byte[] Lists { get; set; } = Array.Empty<byte>();
            internal virtual byte[] Virtual { get; set; } = Array.Empty<byte>();
            private byte[] Computed { get => buffer; set => buffer = value; }

            private void Reset() => buffer = new byte[1];

            public void Init(int n, Aligned other)
            {
        {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); long a = (long)Unsafe.AsPointer(ref buffer[0]); aligned = (byte*)((a + 511) & ~511L);")]
    [InlineData("this.buffer = GC.AllocateUninitializedArray<byte>(n, pinned: true); int k = n * 2; aligned = (byte*)Unsafe.AsPointer(ref buffer[k]);")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, pinned: true); aligned = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));")]
    [InlineData("s_shared = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref s_shared[0]);")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); if (n > 0) { aligned = (byte*)Unsafe.AsPointer(ref buffer[0]); }")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); System.Text.Encoding.UTF8.GetBytes(\"ab\", buffer.AsSpan()); aligned = (byte*)Unsafe.AsPointer(ref buffer[0]);")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); for (int i = 0; i < n; i++) { new Span<byte>(buffer).Slice(i).Fill(1); } aligned = (byte*)Unsafe.AsPointer(ref buffer[0]);")]
    [InlineData("other.buffer = GC.AllocateArray<byte>(n, true); new System.Collections.Generic.List<byte> { 1 }.CopyTo(other.buffer); aligned = (byte*)Unsafe.AsPointer(ref other.buffer[0]);")]
    [InlineData("Lists = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Lists));")]
    public Task JustAssignedPinnedArrayIsNotMovable(string body)
        => Verify.VerifyAsync(Aligned(body));

    [Theory]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); Reset(); aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("buffer = new byte[n]; aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, n > 4); aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("if (n > 0) buffer = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref {|#0:other.buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); buffer = new byte[n]; aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); Action a = () => buffer = new byte[1]; aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); for (int i = 0; i < n; i++) { aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|}); Reset(); }")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); Console.WriteLine(this); aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("other.buffer = GC.AllocateArray<byte>(n, true); Console.WriteLine(other); aligned = (byte*)Unsafe.AsPointer(ref {|#0:other.buffer[0]|});")]
    [InlineData("buffer = GC.AllocateArray<byte>(n, true); Array.ForEach(new[] { 1 }, _ => Reset()); aligned = (byte*)Unsafe.AsPointer(ref {|#0:buffer[0]|});")]
    [InlineData("Computed = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref {|#0:Computed[0]|});")]
    [InlineData("Virtual = GC.AllocateArray<byte>(n, true); aligned = (byte*)Unsafe.AsPointer(ref {|#0:Virtual[0]|});")]
    [InlineData("Lists = new byte[n]; aligned = (byte*)Unsafe.AsPointer(ref {|#0:Lists[0]|});")]
    public Task OtherwiseStillReported(string body)
        => Verify.VerifyAsync(Aligned(body.Replace("{|#0:", string.Empty).Replace("|}", string.Empty)).Replace("(byte*)Unsafe.AsPointer(ref ", "(byte*){|#0:Unsafe.AsPointer(ref ").Replace("[0]);", "[0])|};"),
            Verify.Diagnostic("PIN2003").WithLocation(0).WithArguments("an array element"));
}
