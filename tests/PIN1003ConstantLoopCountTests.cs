using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN1003 is about a number of pins that depends on the data: a loop whose trip count is fixed by the code makes a
/// constant number of pins, judged like a pin outside a loop (PIN1001 when kept in a field array, PIN1002 when leaked).
/// </summary>
public sealed class PIN1003ConstantLoopCountTests
{
    private static string Output(string members, string body) => $$"""
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        sealed class Output
        {
            private const int BufferCount = 3;
            private readonly byte[][] buf = new byte[BufferCount][];
            private readonly GCHandle[] pins = new GCHandle[BufferCount];
            private readonly List<GCHandle> list = new();
        {{members}}
            public void Pin(int size, int n, byte[][] input)
            {
        {{body}}
            }
        }
        """;

    [Theory]
    [InlineData("", "for (int i = 0; i < BufferCount; i++) { buf[i] = new byte[size]; pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|}; }")]
    [InlineData("", "for (var i = 0; i <= 2; i += 1) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; 3 > i; ++i) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; i < pins.Length; i++) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("private readonly int[][] pair = { new int[1], new int[2] };", "for (int i = 0; i < pair.Length; i++) pins[i] = {|#0:GCHandle.Alloc(pair[i], GCHandleType.Pinned)|};")]
    [InlineData("", "var local = new byte[2][]; for (int i = 0; i < local.Length; i++) pins[i] = {|#0:GCHandle.Alloc(local[i], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) pins[i + j] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    public Task ConstantForLoopIntoFieldArrayIsPIN1001(string members, string body)
        => Verify.VerifyAsync(Output(members, body),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is stored in an array element"));

    [Theory]
    [InlineData("", "foreach (var b in new[] { new byte[1], new byte[2] }) list.Add({|#0:GCHandle.Alloc(b, GCHandleType.Pinned)|});")]
    [InlineData("", "var two = new byte[2][]; foreach (var b in two) list.Add({|#0:GCHandle.Alloc(b, GCHandleType.Pinned)|});")]
    [InlineData("", "foreach (var b in buf) list.Add({|#0:GCHandle.Alloc(b, GCHandleType.Pinned)|});")]
    public Task ForeachOverConstantSizeArrayIsPIN1001(string members, string body)
        => Verify.VerifyAsync(Output(members, body),
            Verify.Diagnostic("PIN1001").WithLocation(0).WithArguments("it is added to collection 'list'"));

    [Fact]
    public Task ConstantLoopLeakIsPIN1002()
        => Verify.VerifyAsync(Output("", "for (int i = 0; i < BufferCount; i++) { var h = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|}; }"),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("is never freed: each iteration pins again"));

    [Fact]
    public Task ConstantLoopFreedOnEveryPathIsSilent()
        => Verify.VerifyAsync(Output("", "for (int i = 0; i < BufferCount; i++) { var h = GCHandle.Alloc(buf[i], GCHandleType.Pinned); h.Free(); }"));

    [Theory]
    [InlineData("", "for (int i = 0; i < n; i++) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; i < BufferCount; i++) { pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|}; if (input[i] == null) i--; }")]
    [InlineData("", "for (int i = n; i < BufferCount; i++) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; i < BufferCount; i--) pins[0] = {|#0:GCHandle.Alloc(buf[0], GCHandleType.Pinned)|};")]
    [InlineData("", "for (int i = 0; i < input.Length; i++) pins[i] = {|#0:GCHandle.Alloc(input[i], GCHandleType.Pinned)|};")]
    [InlineData("", "while (n-- > 0) for (int i = 0; i < BufferCount; i++) pins[i] = {|#0:GCHandle.Alloc(buf[i], GCHandleType.Pinned)|};")]
    [InlineData("private byte[][] mutable = new byte[2][];", "for (int i = 0; i < mutable.Length; i++) pins[i] = {|#0:GCHandle.Alloc(mutable[i], GCHandleType.Pinned)|};")]
    [InlineData("private readonly byte[][] sized; public Output(int k) { sized = new byte[k][]; }", "for (int i = 0; i < sized.Length; i++) pins[i] = {|#0:GCHandle.Alloc(sized[i], GCHandleType.Pinned)|};")]
    [InlineData("", "var grown = new byte[2][]; grown = input; for (int i = 0; i < grown.Length; i++) pins[i] = {|#0:GCHandle.Alloc(grown[i], GCHandleType.Pinned)|};")]
    public Task DataDependentLoopStaysPIN1003(string members, string body)
        => Verify.VerifyAsync(Output(members, body),
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task ForeachOverParameterStaysPIN1003()
        => Verify.VerifyAsync(Output("", "foreach (var b in input) list.Add({|#0:GCHandle.Alloc(b, GCHandleType.Pinned)|});"),
            Verify.Diagnostic("PIN1003").WithLocation(0).WithArguments("added to collection 'list'"));
}
