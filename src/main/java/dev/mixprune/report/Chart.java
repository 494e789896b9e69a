package dev.mixprune.report;

import java.util.List;

/**
 * A self-contained inline SVG chart. Each renders as {@code <svg class="chart" id="chart-ID">} with
 * a title, axes with ticks, axis titles with units, and a legend when it has several series.
 */
public sealed interface Chart permits LineChart, GroupedBarChart, Heatmap, ColorBar {
    int WIDTH = 820, HEIGHT = 400;

    /** Okabe-Ito colour-blind-safe palette. */
    List<String> PALETTE = List.of("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000");

    static String color(int i) { return PALETTE.get(i % PALETTE.size()); }

    String id();

    String svg();
}
